// Inside Agent Workspace: the contact this PER_CONTACT app instance was opened for, from the SDK.

import { AmazonConnectApp } from "@amazon-connect/app";

/** True when the page runs in a frame, as Agent Workspace (or a CCP page) hosts it. */
export function isFramed(): boolean {
  try {
    return window.top !== window.self;
  } catch {
    return true;
  }
}

/**
 * Connects to the workspace and calls `onContact` with the contact id its `create` lifecycle event
 * scopes this app to. `onGone` runs when the workspace destroys the app (the contact was closed).
 */
export function connectToWorkspace(onContact: (contactId: string) => void, onGone: () => void): void {
  AmazonConnectApp.init({
    onCreate: (event) => {
      const scope = event.context.scope;
      if (scope?.type === "contact" && scope.contactId) {
        onContact(scope.contactId);
      }
      return Promise.resolve();
    },
    onDestroy: () => {
      onGone();
      return Promise.resolve();
    },
  });
}
