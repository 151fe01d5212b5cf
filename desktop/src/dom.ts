// The page's elements, looked up once (index.html holds them all).

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) {
    throw new Error(`index.html has no ${type.name} #${id}`);
  }
  return found;
}

export const ui = {
  problem: element("problem", HTMLParagraphElement),
  signOut: element("sign-out", HTMLButtonElement),
  signIn: element("sign-in", HTMLElement),
  signInButton: element("sign-in-button", HTMLButtonElement),
  pickContact: element("pick-contact", HTMLFormElement),
  contactInput: element("contact-id-input", HTMLInputElement),
  workspace: element("workspace", HTMLDivElement),
  summaryContact: element("summary-contact", HTMLElement),
  summaryChannel: element("summary-channel", HTMLElement),
  summaryQueue: element("summary-queue", HTMLElement),
  summaryLevel: element("summary-level", HTMLElement),
  blocked: element("blocked", HTMLParagraphElement),
  form: element("escalate-form", HTMLFormElement),
  reason: element("reason", HTMLSelectElement),
  note: element("note", HTMLTextAreaElement),
  targetField: element("target-field", HTMLDivElement),
  target: element("target", HTMLSelectElement),
  destination: element("destination", HTMLElement),
  escalate: element("escalate-button", HTMLButtonElement),
  countdown: element("countdown", HTMLParagraphElement),
  history: element("history", HTMLOListElement),
  historyEmpty: element("history-empty", HTMLParagraphElement),
  result: element("result", HTMLDivElement),
};

export function option(value: string, label: string): HTMLOptionElement {
  const made = document.createElement("option");
  made.value = value;
  made.textContent = label;
  return made;
}

/** Announces `text` through the aria-live region (and shows it). */
export function announce(text: string, tone: "info" | "succeeded" | "failed" = "info"): void {
  ui.result.className = tone === "info" ? "result" : `result ${tone}`;
  ui.result.textContent = text;
}
