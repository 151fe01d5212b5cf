// What the agent reads: one sentence per answer of the API (answers.json, which a test checks
// against openapi.json), and the text of each result.

import answers from "./answers.json";
import type { EscalationOptions, EscalationResult, ResultTarget } from "./api";

const codes: Readonly<Record<string, string>> = answers.codes;
const statuses: Readonly<Record<string, string>> = answers.statuses;

export const NETWORK_SENTENCE = answers.network;

/** The sentence for an error answer: by its code, else by its HTTP status. */
export function sentenceFor(code: string | null, status: number): string {
  return (code !== null ? codes[code] : undefined) ?? statuses[String(status)] ?? answers.fallback;
}

/** Names of the queues and agents the options mention, by "TYPE:id". */
export function targetNames(options: EscalationOptions | null): Map<string, string> {
  const names = new Map<string, string>();
  if (options === null) {
    return names;
  }
  const add = (key: string, name: string | null): void => {
    if (name !== null) {
      names.set(key, name);
    }
  };
  if (options.queue !== null) {
    add(`QUEUE:${options.queue.id}`, options.queue.name);
  }
  for (const target of options.targets) {
    add(`${target.type}:${target.id}`, target.name);
  }
  for (const reason of options.reasons) {
    const destination = reason.destination;
    if (destination !== null && destination.type !== "IN_QUEUE") {
      add(`${destination.type}:${destination.id}`, destination.name);
    }
  }
  return names;
}

export function describeTarget(target: ResultTarget | null, names: Map<string, string>): string {
  if (target === null) {
    return "the rules' destination";
  }
  if (target.type === "IN_QUEUE") {
    return "its place in the queue";
  }
  const id = target.id ?? "";
  const name = names.get(`${target.type}:${id}`) ?? id;
  return target.type === "AGENT" ? `agent ${name}` : name;
}

export function successText(result: EscalationResult, names: Map<string, string>): string {
  const level = `(level ${result.level})`;
  if (result.status === "PRIORITIZED" || result.target?.type === "IN_QUEUE") {
    return `Moved up in queue ${level}`;
  }
  const where = describeTarget(result.target, names);
  const fellBack = result.fellBackToQueue ? ": the agent could not take it, so it went to the queue" : "";
  if (result.status === "ALREADY_TRANSFERRED") {
    return `Already transferred to ${where} ${level}${fellBack}`;
  }
  return `Transferred to ${where} ${level}${fellBack}`;
}
