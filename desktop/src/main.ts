// The Escalate app: sign in, find the contact, show what can be done, escalate once per intent.

import { EscalationApi, type Answer, type EscalationOptions, type EscalationRequest } from "./api";
import { Session } from "./auth";
import { loadConfig } from "./config";
import { announce, ui } from "./dom";
import { Escalator, type Outcome } from "./escalator";
import { NETWORK_SENTENCE, sentenceFor, successText, targetNames } from "./messages";
import { renderDestination, renderHistory, renderOptions, selectedTarget } from "./render";
import { connectToWorkspace, isFramed } from "./workspace";

let session: Session;
let api: EscalationApi;
let escalator: Escalator;
let contactId: string | null = null;
let options: EscalationOptions | null = null;
// Every queue and agent named so far: the history and results name them even once the contact has
// moved on (a transferred contact's options offer no destinations any more).
const names = new Map<string, string>();
// The escalations this session asked for, by contact: readable by their requester (GET /escalations/{id}).
const escalatedHere = new Map<string, string[]>();
const movedAway = new Set<string>();

function show(): void {
  const signedIn = session.token !== null;
  ui.signIn.hidden = signedIn;
  ui.signOut.hidden = !signedIn;
  ui.pickContact.hidden = !signedIn || contactId !== null;
  ui.workspace.hidden = !signedIn || contactId === null || options === null;
}

/** The sentence for a failed answer; a refused token also signs the agent out. */
function failure(answer: Exclude<Answer<unknown>, { kind: "ok" }>): string {
  if (answer.kind === "network") {
    return NETWORK_SENTENCE;
  }
  if (answer.status === 401) {
    session.drop();
  }
  return sentenceFor(answer.code, answer.status);
}

async function loadContact(focusForm: boolean): Promise<void> {
  if (contactId === null || session.token === null) {
    show();
    return;
  }
  const answer = await api.options(contactId);
  if (answer.kind !== "ok") {
    options = null;
    announce(failure(answer), "failed");
    show();
    return;
  }
  options = answer.body;
  for (const [key, name] of targetNames(options)) {
    names.set(key, name);
  }
  renderOptions(options);
  show();
  if (focusForm) {
    ui.reason.focus();
  }
  await loadHistory();
}

async function loadHistory(): Promise<void> {
  if (contactId === null) {
    return;
  }
  // An agent lists a chain only while a contact of it is theirs: once theirs was transferred away,
  // the escalations they asked for in this session are still theirs to read, one by one.
  const asked = escalatedHere.get(contactId) ?? [];
  if (!movedAway.has(contactId)) {
    const answer = await api.history(contactId);
    if (answer.kind === "ok") {
      renderHistory(answer.body, options, names);
      return;
    }
  }
  const entries = await Promise.all(asked.map((id) => api.escalation(id)));
  const readable = entries.flatMap((entry) => (entry.kind === "ok" ? [entry.body] : []));
  if (readable.length > 0) {
    renderHistory({ chainId: "", escalations: readable }, options, names);
  }
}

function request(): EscalationRequest | null {
  if (contactId === null || ui.reason.value === "") {
    return null;
  }
  const note = ui.note.value.trim();
  const target = selectedTarget();
  return {
    contactId,
    reason: ui.reason.value,
    ...(note ? { note } : {}),
    ...(target ? { target } : {}),
  };
}

function finished(outcome: Outcome): void {
  ui.countdown.hidden = true;
  ui.escalate.disabled = false;
  ui.form.setAttribute("aria-busy", "false");
  if (outcome.kind === "success") {
    const asked = escalatedHere.get(outcome.result.contactId) ?? [];
    escalatedHere.set(outcome.result.contactId, [...asked, outcome.result.escalationId]);
    if (outcome.result.status !== "PRIORITIZED") {
      movedAway.add(outcome.result.contactId); // transferred: a new contact holds the chain now
    }
    announce(successText(outcome.result, names), "succeeded");
    ui.note.value = "";
  } else {
    if (outcome.kind === "refused" && outcome.status === 401) {
      session.drop();
    }
    announce(outcome.sentence, "failed");
  }
  void loadContact(false);
}

function start(): void {
  ui.signInButton.addEventListener("click", () => void session.signIn());
  ui.signOut.addEventListener("click", () => {
    options = null;
    session.signOut();
  });
  ui.pickContact.addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = ui.contactInput.value.trim();
    if (typed) {
      contactId = typed;
      history.replaceState(null, "", `${location.pathname}?contactId=${encodeURIComponent(typed)}`);
      void loadContact(true);
    }
  });
  ui.reason.addEventListener("change", () => options && renderDestination(options));
  ui.target.addEventListener("change", () => options && renderDestination(options));
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = request();
    if (wanted !== null && !escalator.inFlight) {
      void escalator.submit(wanted);
    }
  });
  session.onChange((signedIn) => {
    if (!signedIn) {
      options = null;
      show();
      return;
    }
    void loadContact(true);
  });
}

async function main(): Promise<void> {
  const config = await loadConfig();
  session = new Session(config, location.origin + location.pathname);
  if (await session.completeSignIn()) {
    return; // a sign-in popup that handed its code back
  }
  // Read after completeSignIn, which puts back the query the page had before managed login.
  contactId = new URLSearchParams(location.search).get("contactId");
  api = new EscalationApi(config.apiUrl, () => session.token);
  escalator = new Escalator(api, {
    sending: () => {
      ui.escalate.disabled = true;
      ui.form.setAttribute("aria-busy", "true");
      ui.countdown.hidden = true;
      announce("Escalating…");
    },
    waiting: (sentence, secondsLeft) => {
      if (ui.result.textContent !== sentence) {
        announce(sentence);
      }
      ui.countdown.hidden = false;
      ui.countdown.textContent = `Retrying in ${secondsLeft} s`;
    },
    finished,
  });
  start();
  if (isFramed() && contactId === null) {
    connectToWorkspace(
      (scoped) => {
        contactId = scoped;
        void loadContact(false);
      },
      () => {
        contactId = null;
        options = null;
        show();
      },
    );
  }
  show();
  if (session.token !== null) {
    await loadContact(true);
  }
}

main().catch((error: unknown) => {
  ui.problem.hidden = false;
  ui.problem.textContent = `The app could not start: ${error instanceof Error ? error.message : String(error)}`;
});
