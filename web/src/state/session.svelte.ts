import { api, ApiError } from "../lib/api";
import { currentSession, onSessionRejected, saveSession, type StoredSession } from "../lib/session-token";
import { readTokenInput } from "../lib/token-input";
import type { Role } from "../../../worker/schemas/types";

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export const ROLE_LABEL: Record<Role, string> = { viewer: "Viewer", operator: "Operator", admin: "Admin" };

// What each role adds, worded for the reason beside a disabled control.
const ROLE_ALLOWS: Record<Role, string> = {
  viewer: "read",
  operator: "run and cancel",
  admin: "configure",
};

export function createSessionState() {
  let current = $state<StoredSession | null>(currentSession());
  // Why the person is looking at the sign-in screen again (an expired or revoked token).
  let notice = $state<string | null>(null);

  function allows(role: Role): boolean {
    return current !== null && RANK[current.role] >= RANK[role];
  }

  return {
    get current() {
      return current;
    },
    get signedIn() {
      return current !== null;
    },
    get role(): Role | null {
      return current?.role ?? null;
    },
    get notice() {
      return notice;
    },
    allows,
    // The reason shown beside a control this role may not use, or null when it may.
    whyNot(role: Role): string | null {
      if (allows(role)) return null;
      const have = current ? ROLE_LABEL[current.role] : "Signed-out";
      return `${have} tokens cannot ${ROLE_ALLOWS[role]}: this needs the ${role} role.`;
    },
    async signIn(input: string): Promise<void> {
      const read = readTokenInput(input);
      if (!read.ok) throw new ApiError("token_format", read.message, 0);
      const token = read.token;
      // Proves the token and says who it is; a 401 comes back as the error to show.
      const identity = await api.session(token);
      const session: StoredSession = { token, role: identity.role, name: identity.name };
      saveSession(session);
      notice = null;
      current = session;
    },
    signOut(): void {
      saveSession(null);
      notice = null;
      current = null;
    },
    start(): () => void {
      return onSessionRejected((message) => {
        current = null;
        notice = `Your session ended: ${message} Sign in again to continue.`;
      });
    },
  };
}

export type SessionState = ReturnType<typeof createSessionState>;

export const session = createSessionState();
