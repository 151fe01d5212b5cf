// One click, one escalation. An intent (what the agent asked for) keeps one Idempotency-Key until a
// result is shown: clicks while it is in flight are ignored, a 429/503 (or an escalation still in
// progress) is retried with the same key after Retry-After, and a lost connection keeps the key so
// that pressing Escalate again cannot escalate twice.

import type { Answer, EscalationApi, EscalationRequest, EscalationResult } from "./api";
import { NETWORK_SENTENCE, sentenceFor } from "./messages";

const DEFAULT_RETRY_SECONDS = 2;
const MAX_AUTOMATIC_RETRIES = 5;

export type Outcome =
  | { readonly kind: "success"; readonly result: EscalationResult }
  | { readonly kind: "refused"; readonly status: number; readonly code: string | null; readonly sentence: string }
  | { readonly kind: "network"; readonly sentence: string };

export interface EscalatorView {
  sending(): void;
  /** A retryable answer: `sentence` once, then `secondsLeft` counting down to the retry. */
  waiting(sentence: string, secondsLeft: number): void;
  finished(outcome: Outcome): void;
}

interface Intent {
  readonly key: string;
  readonly request: EscalationRequest;
  readonly fingerprint: string;
}

function isRetryable(answer: Answer<EscalationResult>): boolean {
  if (answer.kind !== "error") {
    return false;
  }
  return answer.status === 429 || answer.status === 503 || answer.code === "ESCALATION_IN_PROGRESS";
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => window.setTimeout(resolve, milliseconds));
}

export class Escalator {
  private intent: Intent | null = null;
  private busy = false;

  constructor(
    private readonly api: EscalationApi,
    private readonly view: EscalatorView,
  ) {}

  get inFlight(): boolean {
    return this.busy;
  }

  /** The key the current intent uses (for the tests' and the curious agent's eyes). */
  get currentKey(): string | null {
    return this.intent?.key ?? null;
  }

  async submit(request: EscalationRequest): Promise<void> {
    if (this.busy) {
      return; // a second click on the same intent
    }
    this.busy = true;
    const fingerprint = JSON.stringify(request);
    if (this.intent === null || this.intent.fingerprint !== fingerprint) {
      this.intent = { key: crypto.randomUUID(), request, fingerprint };
    }
    const intent = this.intent;
    let outcome: Outcome;
    try {
      this.view.sending();
      outcome = await this.send(intent);
    } finally {
      this.busy = false;
    }
    // Only a lost connection leaves the outcome unknown: keep the key for the next press.
    if (outcome.kind !== "network") {
      this.intent = null;
    }
    this.view.finished(outcome);
  }

  private async send(intent: Intent): Promise<Outcome> {
    for (let attempt = 0; ; attempt += 1) {
      const answer = await this.api.escalate(intent.request, intent.key);
      if (answer.kind === "ok") {
        return { kind: "success", result: answer.body };
      }
      if (answer.kind === "network") {
        return { kind: "network", sentence: NETWORK_SENTENCE };
      }
      const sentence = sentenceFor(answer.code, answer.status);
      if (!isRetryable(answer) || attempt >= MAX_AUTOMATIC_RETRIES) {
        return { kind: "refused", status: answer.status, code: answer.code, sentence };
      }
      for (let left = answer.retryAfter ?? DEFAULT_RETRY_SECONDS; left > 0; left -= 1) {
        this.view.waiting(sentence, left);
        await sleep(1000);
      }
      this.view.sending();
    }
  }
}
