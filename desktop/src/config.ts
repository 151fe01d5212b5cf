// The deployment's settings, from config.json beside the app (the stack writes it at deploy time;
// `make serve` writes the local one). Nothing about a deployment is compiled into the bundle.

export interface AppConfig {
  /** The API's base URL, without a trailing slash. */
  readonly apiUrl: string;
  /** The Cognito managed-login domain, e.g. https://example.auth.eu-west-1.amazoncognito.com */
  readonly cognitoDomain: string;
  /** The user pool app client the app signs in with (public: no secret, PKCE). */
  readonly clientId: string;
}

function text(value: unknown, name: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new Error(`config.json: "${name}" must be a non-empty string`);
  }
  return value.trim().replace(/\/+$/, "");
}

export function parseConfig(raw: unknown): AppConfig {
  if (typeof raw !== "object" || raw === null) {
    throw new Error("config.json must hold a JSON object");
  }
  const record = raw as Record<string, unknown>;
  return {
    apiUrl: text(record["apiUrl"], "apiUrl"),
    cognitoDomain: text(record["cognitoDomain"], "cognitoDomain"),
    clientId: text(record["clientId"], "clientId"),
  };
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch(new URL("config.json", document.baseURI), { cache: "no-store" });
  if (!response.ok) {
    throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  }
  return parseConfig(await response.json());
}
