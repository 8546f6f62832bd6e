import type { Role } from "../../../worker/schemas/types";

// The signed-in API token lives in sessionStorage: it survives a reload but not the tab, and never a shared disk.
export const SESSION_STORAGE_KEY = "outbound-sync:session";

export interface StoredSession {
  token: string;
  role: Role;
  // The token's name (or the Access email), as GET /api/session tells it.
  name: string;
}

type RejectListener = (message: string) => void;

function storage(): Storage | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch (error) {
    console.warn("sessionStorage unavailable; the sign-in lasts until reload", error);
    return null;
  }
}

function isStoredSession(value: unknown): value is StoredSession {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.token === "string" && typeof record.name === "string" && (record.role === "viewer" || record.role === "operator" || record.role === "admin")
  );
}

function readStored(): StoredSession | null {
  const raw = storage()?.getItem(SESSION_STORAGE_KEY);
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isStoredSession(parsed) ? parsed : null;
  } catch (error) {
    console.warn("Ignoring an unreadable saved session", error);
    return null;
  }
}

let current: StoredSession | null = readStored();
const listeners = new Set<RejectListener>();

export function currentSession(): StoredSession | null {
  return current;
}

export function currentToken(): string | null {
  return current?.token ?? null;
}

export function saveSession(session: StoredSession | null): void {
  current = session;
  try {
    if (session) storage()?.setItem(SESSION_STORAGE_KEY, JSON.stringify(session));
    else storage()?.removeItem(SESSION_STORAGE_KEY);
  } catch (error) {
    console.warn("Could not save the session; it lasts until reload", error);
  }
}

// The server answered 401 to the signed-in token: forget it and let the session state send the person to sign-in.
export function rejectSession(message: string): void {
  if (current === null) return;
  saveSession(null);
  for (const listener of listeners) listener(message);
}

export function onSessionRejected(listener: RejectListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Tests start each case signed out.
export function reloadSessionFromStorage(): void {
  current = readStored();
}
