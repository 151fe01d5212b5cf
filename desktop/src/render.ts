// Drawing the contact, its escalation form and its history from the API's answers.

import type { EscalationOptions, History, Reason, Target } from "./api";
import { option, ui } from "./dom";
import { describeTarget, sentenceFor } from "./messages";

const RULES_CHOICE = "";

function targetLabel(target: Target): string {
  const name = target.name ?? target.id;
  return target.type === "AGENT" ? `${name} (agent)` : `${name} (queue)`;
}

export function renderOptions(options: EscalationOptions): void {
  ui.summaryContact.textContent = options.contactId;
  ui.summaryChannel.textContent = options.channel;
  ui.summaryQueue.textContent = options.queue === null ? "none" : (options.queue.name ?? options.queue.id);
  ui.summaryLevel.textContent = options.level === 0 ? "0 (never escalated)" : String(options.level);

  const chosenReason = ui.reason.value;
  ui.reason.replaceChildren(...options.reasons.map((reason) => option(reason.code, reason.label)));
  if (options.reasons.some((reason) => reason.code === chosenReason)) {
    ui.reason.value = chosenReason;
  }

  const chosenTarget = ui.target.value;
  ui.target.replaceChildren(
    option(RULES_CHOICE, "Where the rules send it"),
    ...options.targets.map((target) => option(`${target.type}:${target.id}`, targetLabel(target))),
  );
  ui.target.value = options.targets.some((t) => `${t.type}:${t.id}` === chosenTarget) ? chosenTarget : RULES_CHOICE;
  ui.targetField.hidden = options.targets.length === 0;

  ui.blocked.hidden = options.canEscalate;
  ui.blocked.textContent = options.blockedBy === null ? "" : sentenceFor(options.blockedBy.error, 409);
  ui.escalate.disabled = !options.canEscalate;
  renderDestination(options);
}

function selectedReason(options: EscalationOptions): Reason | undefined {
  return options.reasons.find((reason) => reason.code === ui.reason.value);
}

/** The target the agent picked, as the API's request names it; undefined: the rules decide. */
export function selectedTarget(): { queueId: string } | { userId: string } | undefined {
  const [type, ...rest] = ui.target.value.split(":");
  const id = rest.join(":");
  if (type === "QUEUE") {
    return { queueId: id };
  }
  if (type === "AGENT") {
    return { userId: id };
  }
  return undefined;
}

export function renderDestination(options: EscalationOptions): void {
  const picked = options.targets.find((t) => `${t.type}:${t.id}` === ui.target.value);
  if (picked !== undefined) {
    ui.destination.textContent = targetLabel(picked);
    return;
  }
  const destination = selectedReason(options)?.destination ?? null;
  if (destination === null) {
    ui.destination.textContent = "no destination: the rules have none for this reason";
  } else if (destination.type === "IN_QUEUE") {
    ui.destination.textContent = destination.label;
  } else {
    ui.destination.textContent = targetLabel(destination);
  }
}

const STATUS_WORDS: Readonly<Record<string, string>> = {
  TRANSFERRED: "transferred",
  PRIORITIZED: "moved up in queue",
  PENDING: "in progress",
  FAILED: "failed",
  REFUSED: "refused",
  SKIPPED: "skipped (the contact had ended)",
};

/** `names`: the queues and agents named so far (a contact that has moved on names fewer). */
export function renderHistory(history: History, options: EscalationOptions | null, names: Map<string, string>): void {
  const labels = new Map((options?.reasons ?? []).map((reason) => [reason.code, reason.label]));
  const items = history.escalations.map((entry) => {
    const item = document.createElement("li");
    const what = document.createElement("div");
    const level = entry.level === null ? "" : `Level ${entry.level}: `;
    // A contact moved up where it waits went nowhere else: "moved up in queue" says it all.
    const where =
      entry.target === null || entry.target.type === "IN_QUEUE" ? "" : ` to ${describeTarget(entry.target, names)}`;
    const status = STATUS_WORDS[entry.status] ?? entry.status.toLowerCase();
    what.textContent = `${level}${status}${where} (${labels.get(entry.reason) ?? entry.reason})`;
    const when = document.createElement("div");
    when.className = "when";
    const time = document.createElement("time");
    time.dateTime = entry.createdAt;
    time.textContent = new Date(entry.createdAt).toLocaleString();
    const by = entry.trigger === "EVENT" ? "an SLA breach" : entry.requester;
    when.append(time, ` by ${by}`);
    item.append(what, when);
    if (entry.note) {
      const note = document.createElement("div");
      note.textContent = `Note: ${entry.note}`;
      item.append(note);
    }
    return item;
  });
  ui.history.replaceChildren(...items);
  ui.history.hidden = items.length === 0;
  ui.historyEmpty.hidden = items.length > 0;
}
