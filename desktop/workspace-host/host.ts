// A minimal Agent Workspace host for `make serve` (never deployed): it embeds the app in an iframe with
// the workspace's default sandbox and speaks the Amazon Connect SDK's app protocol, written from
// the SDK's published source (@amazon-connect/app's AppProxy, @amazon-connect/core's Proxy):
//   app  -> window.parent: {type: "connect-app-host-init", sdkVersion, providerId} + a MessagePort
//   host -> port: {type: "acknowledge", connectionId, status, healthCheckInterval}
//   host -> port: {type: "appLifecycle", stage: "create", scope: {type: "contact", contactId}, ...}
//   app  -> port: {type: "appLifecycleHandlerCompleted", stage: "create"}; host -> "start"
// Requests (the Contact and Agent clients) are answered with an error: this stand-in has no CCP.

import type { AcknowledgeMessage, HealthCheckResponseMessage, ResponseMessage } from "@amazon-connect/core";
import type { AppHostInitMessage, IFrameAppConfig, LifecycleMessage, LifecycleStage } from "@amazon-connect/workspace-types";

const SANDBOX = "allow-forms allow-popups allow-same-origin allow-scripts";
const APP_PATH = "/desktop/";
const REGION = "us-east-1";

const apps = document.getElementById("apps") as HTMLElement;
const status = document.getElementById("host-status") as HTMLElement;
const form = document.getElementById("open-contact") as HTMLFormElement;
const input = document.getElementById("contact") as HTMLInputElement;

let counter = 0;
let frame: HTMLIFrameElement | null = null;
let port: MessagePort | null = null;

function appConfig(instanceId: string): IFrameAppConfig {
  return {
    _type: "iframe",
    arn: `arn:aws:app-integrations:${REGION}:123456789012:application/${instanceId}`,
    namespace: "escalate",
    id: instanceId,
    name: "Escalate",
    description: "The escalation service's agent app",
    accessUrl: new URL(APP_PATH, location.href).toString(),
    contactHandling: { scope: "PER_CONTACT" },
    permissions: ["Contact.Details.View", "User.Details.View"],
  };
}

function lifecycle(stage: LifecycleStage, instanceId: string, contactId: string): LifecycleMessage {
  const config = appConfig(instanceId);
  return {
    type: "appLifecycle",
    stage,
    instanceId,
    appInstanceId: instanceId,
    config,
    appConfig: config,
    scope: { type: "contact", contactId },
    contactScope: { type: "contact", contactId },
    launchedBy: { type: "internal", name: undefined },
    region: REGION,
  };
}

function onAppMessage(message: Record<string, unknown>, instanceId: string, contactId: string): void {
  const target = port;
  if (target === null) {
    return;
  }
  switch (message["type"]) {
    case "appLifecycleHandlerCompleted":
      if (message["stage"] === "create") {
        target.postMessage(lifecycle("start", instanceId, contactId));
        status.textContent = `The app is running for contact ${contactId}.`;
      }
      break;
    case "healthCheck": {
      const answer: HealthCheckResponseMessage = { type: "healthCheckResponse", time: Date.now(), counter: ++counter };
      target.postMessage(answer);
      break;
    }
    case "request": {
      const answer: ResponseMessage = {
        type: "response",
        namespace: String(message["namespace"]),
        requestId: String(message["requestId"]),
        isError: true,
        errorKey: "notSupportedByLocalHost",
        reason: "the local workspace stand-in answers no SDK requests",
        details: { command: String(message["command"]), requestData: undefined },
      };
      target.postMessage(answer);
      break;
    }
    default:
      break; // logs, metrics, subscriptions: nothing to do here
  }
}

function open(contactId: string): void {
  port?.close();
  port = null;
  const instanceId = crypto.randomUUID();
  const made = document.createElement("iframe");
  made.title = "Escalate app";
  made.setAttribute("sandbox", SANDBOX);
  made.src = APP_PATH;
  window.onmessage = (event: MessageEvent) => {
    const init = event.data as Partial<AppHostInitMessage> | null;
    const channel = event.ports[0];
    if (event.source !== made.contentWindow || init?.type !== "connect-app-host-init" || channel === undefined) {
      return;
    }
    port = channel;
    channel.onmessage = (inner: MessageEvent) => onAppMessage(inner.data as Record<string, unknown>, instanceId, contactId);
    const acknowledge: AcknowledgeMessage = {
      type: "acknowledge",
      connectionId: crypto.randomUUID(),
      status: { initialized: true, startTime: new Date() },
      healthCheckInterval: 0, // no health checks
    };
    channel.postMessage(acknowledge);
    channel.postMessage(lifecycle("create", instanceId, contactId));
    status.textContent = `Connected to the app (SDK ${String(init.sdkVersion)}); contact ${contactId} handed over.`;
  };
  frame?.remove();
  frame = made;
  apps.append(made);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (input.value.trim()) {
    open(input.value.trim());
  }
});

const initial = new URLSearchParams(location.search).get("contactId");
if (initial) {
  input.value = initial;
  open(initial);
}
