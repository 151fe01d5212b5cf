// Sign-in with Cognito's managed login: authorization code with PKCE, for a public app client.
// Tokens live in memory only (this object); a reload signs in again through managed login's own
// session. In a tab the page itself goes to managed login and comes back; inside Agent Workspace's
// iframe, where managed login may not be framed, a popup does and hands the code back.

import type { AppConfig } from "./config";
import { codeChallenge, randomToken } from "./pkce";

const PENDING_KEY = "escalate.signIn"; // survives the redirect to managed login and back
const POPUP_MESSAGE = "escalate-sign-in-code";
const REFRESH_MARGIN_SECONDS = 60;
const SCOPE = "openid";

interface Pending {
  readonly state: string;
  readonly verifier: string;
  readonly search: string; // the page's own query (e.g. ?contactId=) to restore afterwards
}

interface TokenAnswer {
  readonly id_token: string;
  readonly refresh_token?: string;
  readonly expires_in: number;
}

export type SessionListener = (signedIn: boolean) => void;

function isTokenAnswer(value: unknown): value is TokenAnswer {
  const record = value as Record<string, unknown> | null;
  return (
    typeof record === "object" &&
    record !== null &&
    typeof record["id_token"] === "string" &&
    typeof record["expires_in"] === "number"
  );
}

function inFrame(): boolean {
  try {
    return window.top !== window.self;
  } catch {
    return true;
  }
}

export class Session {
  private idToken: string | null = null;
  private refreshToken: string | null = null;
  private refreshTimer: number | undefined;
  private popupPending: Pending | null = null;
  private readonly listeners: SessionListener[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly redirectUri: string,
  ) {}

  get token(): string | null {
    return this.idToken;
  }

  onChange(listener: SessionListener): void {
    this.listeners.push(listener);
  }

  /** Goes to managed login (a popup when framed). */
  async signIn(): Promise<void> {
    const pending: Pending = { state: randomToken(16), verifier: randomToken(), search: location.search };
    const url = new URL(`${this.config.cognitoDomain}/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: this.config.clientId,
      redirect_uri: this.redirectUri,
      scope: SCOPE,
      state: pending.state,
      code_challenge: await codeChallenge(pending.verifier),
      code_challenge_method: "S256",
    }).toString();
    if (inFrame()) {
      this.popupPending = pending;
      window.addEventListener("message", this.onPopupMessage);
      window.open(url.toString(), "escalate-sign-in", "popup,width=480,height=640");
      return;
    }
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    location.assign(url.toString());
  }

  /**
   * Handles the return from managed login, when this page load is one. Returns true when this page
   * is a sign-in popup that handed its code to the app and should show nothing else.
   */
  async completeSignIn(): Promise<boolean> {
    const params = new URLSearchParams(location.search);
    const code = params.get("code");
    const state = params.get("state");
    if (code === null || state === null) {
      return false;
    }
    const stored = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    const pending = stored === null ? null : (JSON.parse(stored) as Pending);
    if (pending === null || pending.state !== state) {
      if (window.opener !== null) {
        (window.opener as Window).postMessage({ type: POPUP_MESSAGE, code, state }, location.origin);
        window.close();
        return true;
      }
      history.replaceState(null, "", location.pathname);
      return false;
    }
    history.replaceState(null, "", location.pathname + pending.search);
    await this.exchange(code, pending.verifier);
    return false;
  }

  signOut(): void {
    this.drop();
    const url = new URL(`${this.config.cognitoDomain}/logout`);
    url.search = new URLSearchParams({ client_id: this.config.clientId, logout_uri: this.redirectUri }).toString();
    if (inFrame()) {
      window.open(url.toString(), "escalate-sign-in", "popup,width=480,height=640");
      return;
    }
    location.assign(url.toString());
  }

  /** Forgets the tokens (an API said they are no longer accepted). */
  drop(): void {
    const wasSignedIn = this.idToken !== null;
    this.idToken = null;
    this.refreshToken = null;
    window.clearTimeout(this.refreshTimer);
    if (wasSignedIn) {
      this.notify();
    }
  }

  private readonly onPopupMessage = (event: MessageEvent): void => {
    const data = event.data as { type?: unknown; code?: unknown; state?: unknown } | null;
    const pending = this.popupPending;
    if (event.origin !== location.origin || data?.type !== POPUP_MESSAGE || pending === null) {
      return;
    }
    if (data.state !== pending.state || typeof data.code !== "string") {
      return;
    }
    this.popupPending = null;
    window.removeEventListener("message", this.onPopupMessage);
    void this.exchange(data.code, pending.verifier).catch(() => this.drop());
  };

  private async exchange(code: string, verifier: string): Promise<void> {
    await this.requestTokens({
      grant_type: "authorization_code",
      client_id: this.config.clientId,
      code,
      redirect_uri: this.redirectUri,
      code_verifier: verifier,
    });
  }

  private async refresh(): Promise<void> {
    if (this.refreshToken === null) {
      this.drop();
      return;
    }
    try {
      await this.requestTokens({
        grant_type: "refresh_token",
        client_id: this.config.clientId,
        refresh_token: this.refreshToken,
      });
    } catch {
      this.drop();
    }
  }

  private async requestTokens(form: Record<string, string>): Promise<void> {
    const response = await fetch(`${this.config.cognitoDomain}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    });
    const answer: unknown = await response.json();
    if (!response.ok || !isTokenAnswer(answer)) {
      throw new Error(`sign-in failed (HTTP ${response.status})`);
    }
    this.idToken = answer.id_token;
    // A refresh answer carries no new refresh token: keep the one we have.
    this.refreshToken = answer.refresh_token ?? this.refreshToken;
    window.clearTimeout(this.refreshTimer);
    const delay = Math.max(answer.expires_in - REFRESH_MARGIN_SECONDS, 5) * 1000;
    this.refreshTimer = window.setTimeout(() => void this.refresh(), delay);
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) {
      listener(this.idToken !== null);
    }
  }
}
