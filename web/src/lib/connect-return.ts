// After Connect, the worker's OAuth callback sends the browser back to the Credentials page with the outcome in
// the address: `?connected=<id>`, or `?connect_error=<message>&credential=<id>`.
export type ConnectReturn = { ok: true; credentialId: string } | { ok: false; credentialId: string | null; message: string };

const RETURN_PARAMS = ["connected", "connect_error", "credential"] as const;

export function readConnectReturn(search: string): ConnectReturn | null {
  const params = new URLSearchParams(search);
  const message = params.get("connect_error");
  if (message !== null) return { ok: false, credentialId: params.get("credential") || null, message };
  const connected = params.get("connected");
  return connected ? { ok: true, credentialId: connected } : null;
}

// The same query without the outcome, so a reload or a shared address does not show it again.
export function withoutConnectReturn(search: string): string {
  const params = new URLSearchParams(search);
  for (const key of RETURN_PARAMS) params.delete(key);
  const rest = params.toString();
  return rest === "" ? "" : `?${rest}`;
}

export function connectReturnWords(back: ConnectReturn, name: string | null): string {
  const named = name === null ? "" : ` "${name}"`;
  return back.ok ? `Connected${named}: its refresh token is saved.` : `Connecting${named} failed: ${back.message}`;
}
