// The escalation API as the app uses it: typed answers, never exceptions for an HTTP status.

export type TargetType = "QUEUE" | "AGENT";

export interface Target {
  readonly type: TargetType;
  readonly id: string;
  readonly name: string | null; // null: Connect could not name it
}

export interface InQueue {
  readonly type: "IN_QUEUE";
  readonly label: string;
}

export interface Reason {
  readonly code: string;
  readonly label: string;
  readonly destination: Target | InQueue | null;
}

export interface ApiError {
  readonly error: string;
  readonly message: string;
}

export interface EscalationOptions {
  readonly contactId: string;
  readonly channel: string;
  readonly queue: { readonly id: string; readonly name: string | null } | null;
  readonly level: number; // the chain's current level (0: never escalated)
  readonly canEscalate: boolean;
  readonly blockedBy: ApiError | null;
  readonly reasons: readonly Reason[];
  readonly targets: readonly Target[];
}

export interface ResultTarget {
  readonly type: TargetType | "IN_QUEUE";
  readonly id?: string;
  readonly priority?: number;
  readonly ageSeconds?: number;
}

export interface EscalationResult {
  readonly escalationId: string;
  readonly status: string; // TRANSFERRED, ALREADY_TRANSFERRED, PRIORITIZED
  readonly contactId: string;
  readonly newContactId: string | null;
  readonly target: ResultTarget | null;
  readonly level: number;
  readonly fellBackToQueue: boolean;
}

export interface HistoryEntry {
  readonly escalationId: string;
  readonly contactId: string;
  readonly trigger: string;
  readonly reason: string;
  readonly requester: string;
  readonly status: string;
  readonly level: number | null;
  readonly target: ResultTarget | null;
  readonly fellBack: boolean;
  readonly createdAt: string;
  readonly note: string | null;
}

export interface History {
  readonly chainId: string;
  readonly escalations: readonly HistoryEntry[];
}

export interface EscalationRequest {
  readonly contactId: string;
  readonly reason: string;
  readonly note?: string;
  readonly target?: { readonly queueId: string } | { readonly userId: string };
}

export type Answer<T> =
  | { readonly kind: "ok"; readonly body: T }
  | {
      readonly kind: "error";
      readonly status: number;
      readonly code: string | null;
      readonly message: string;
      readonly retryAfter: number | null;
    }
  | { readonly kind: "network" };

function retryAfterSeconds(header: string | null): number | null {
  if (header === null) {
    return null;
  }
  const seconds = Number.parseInt(header, 10);
  if (!Number.isNaN(seconds)) {
    return Math.max(seconds, 0);
  }
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(Math.ceil((date - Date.now()) / 1000), 0);
}

export class EscalationApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: () => string | null,
  ) {}

  options(contactId: string): Promise<Answer<EscalationOptions>> {
    return this.call("GET", `/escalation-options?contactId=${encodeURIComponent(contactId)}`);
  }

  history(contactId: string): Promise<Answer<History>> {
    return this.call("GET", `/contacts/${encodeURIComponent(contactId)}/escalations`);
  }

  /** One escalation: its requester may read it even once the chain is no longer theirs to list. */
  escalation(escalationId: string): Promise<Answer<HistoryEntry>> {
    return this.call("GET", `/escalations/${encodeURIComponent(escalationId)}`);
  }

  escalate(request: EscalationRequest, idempotencyKey: string): Promise<Answer<EscalationResult>> {
    return this.call("POST", "/escalations", request, idempotencyKey);
  }

  private async call<T>(method: string, path: string, body?: unknown, key?: string): Promise<Answer<T>> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token() ?? ""}` };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (key !== undefined) {
      headers["Idempotency-Key"] = key;
    }
    let response: Response;
    try {
      const init: RequestInit = { method, headers };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
      }
      response = await fetch(`${this.baseUrl}${path}`, init);
    } catch {
      return { kind: "network" };
    }
    let parsed: unknown = null;
    try {
      parsed = await response.json();
    } catch {
      parsed = null;
    }
    if (response.ok) {
      return { kind: "ok", body: parsed as T };
    }
    const error = (parsed ?? {}) as Partial<Record<string, unknown>>;
    return {
      kind: "error",
      status: response.status,
      code: typeof error["error"] === "string" ? error["error"] : null,
      message: typeof error["message"] === "string" ? error["message"] : "",
      retryAfter: retryAfterSeconds(response.headers.get("Retry-After")),
    };
  }
}
