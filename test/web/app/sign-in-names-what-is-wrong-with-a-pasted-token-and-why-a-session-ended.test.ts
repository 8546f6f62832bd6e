import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import App from "../../../web/src/App.svelte";
import { router } from "../../../web/src/lib/router.svelte";
import { session } from "../../../web/src/state/session.svelte";
import { jsonResponse, makeErrorBody, makeHealth } from "../factories";

const ADMIN_TOKEN = "osk_a_0123456789abcdefghjkmnpqrstvwxyz";
const REVOKED = 'The API token "laptop" was revoked on 2026-12-05T16:00:00.000Z.';
const NEW_TOKEN_HINT = "Ask an admin for a new token (Settings → API tokens, or npm run token on the server).";

// A socket the test drives: it opens at once and closes when the server says so.
class DrivenSocket {
  static last: DrivenSocket | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  readyState = 0;
  constructor() {
    DrivenSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.();
    });
  }
  send(): void {}
  close(): void {}
  serverCloses(code: number, reason: string): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

// The server knows one admin token until `revoked`; it counts who asked for /api/session.
function serve() {
  const server = { revoked: false, sent: [] as Array<{ path: string; authorization: string | null }> };
  vi.stubGlobal("WebSocket", DrivenSocket);
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), "http://localhost");
      const authorization = new Headers(init?.headers).get("authorization");
      server.sent.push({ path: url.pathname, authorization });
      if (url.pathname === "/api/health") return jsonResponse(makeHealth());
      if (authorization !== `Bearer ${ADMIN_TOKEN}`) {
        return jsonResponse(makeErrorBody("unauthorized", "The API token is not recognised.", [], { hint: "It may be mistyped." }), 401);
      }
      if (server.revoked) return jsonResponse(makeErrorBody("unauthorized", REVOKED, [], { hint: NEW_TOKEN_HINT }), 401);
      if (url.pathname === "/api/session") return jsonResponse({ kind: "token", id: "tok_laptop", name: "laptop", role: "admin" });
      if (url.pathname === "/api/stats") return jsonResponse(makeErrorBody("internal_error", "not in this test"), 500);
      if (url.pathname === "/api/destinations/breakers") return jsonResponse({ breakers: [] });
      return jsonResponse({ data: [], next_cursor: null });
    }),
  );
  return server;
}

async function paste(text: string): Promise<void> {
  const field = screen.getByLabelText("API token");
  await fireEvent.input(field, { target: { value: text } });
  await fireEvent.submit(field.closest("form") as HTMLFormElement);
}

beforeEach(() => {
  Element.prototype.scrollIntoView ??= () => {};
  vi.spyOn(window, "scrollTo").mockImplementation(() => {});
  session.signOut();
  router.navigate("/", { replace: true });
  DrivenSocket.last = null;
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("the sign-in screen", () => {
  it.each([
    { pasted: "osk_a_0123456789abcdefghjk", says: 'cut short: it has 20 characters after "osk_a_", an API token has 32' },
    { pasted: "osk_z_0123456789abcdefghjkmnpqrstvwxyz", says: "role letter v, o or a" },
    { pasted: "sk_live_51HxQ2eCv8Z", says: 'API tokens start with "osk_"' },
    { pasted: "osk_a_0123456789abcdefghjkmnpqrstvwxyz.", says: 'characters an API token never has (".")' },
  ])("says what is wrong with $pasted without asking the server", async ({ pasted, says }) => {
    const server = serve();
    render(App);
    await paste(pasted);

    expect((await screen.findByRole("alert")).textContent).toContain(says);
    expect(server.sent.filter((call) => call.path === "/api/session")).toEqual([]);
  });

  it("tells a well-formed unknown token apart from a malformed one, with the API's hint", async () => {
    serve();
    render(App);
    await paste("osk_a_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("not recognised");
    expect(alert.textContent).toContain("It may be mistyped.");
  });

  it.each([
    { what: "spaces and a line break around it", pasted: `  ${ADMIN_TOKEN}\n` },
    { what: "a copied Authorization header", pasted: `Authorization: Bearer ${ADMIN_TOKEN}` },
    { what: "the word Bearer", pasted: `Bearer ${ADMIN_TOKEN}` },
    { what: "quotes and a wrapped line", pasted: `"${ADMIN_TOKEN.slice(0, 20)}\n${ADMIN_TOKEN.slice(20)}"` },
  ])("signs in with a token pasted with $what, sending only the token", async ({ pasted }) => {
    const server = serve();
    render(App);
    await paste(pasted);

    expect(await screen.findByRole("heading", { level: 1, name: "Dashboard" })).toBeTruthy();
    expect(server.sent.find((call) => call.path === "/api/session")?.authorization).toBe(`Bearer ${ADMIN_TOKEN}`);
  });
});

describe("a token revoked during the session", () => {
  it("closes the live feed with 1008 and lands on sign-in with the API's reason, on the same page", async () => {
    const server = serve();
    router.navigate("/jobs?status=failed");
    render(App);
    await paste(ADMIN_TOKEN);
    expect(await screen.findByRole("heading", { level: 1, name: "Outbound Sync Jobs" })).toBeTruthy();
    await vi.waitFor(() => expect(DrivenSocket.last?.readyState).toBe(1));

    server.revoked = true;
    DrivenSocket.last!.serverCloses(1008, "API token revoked");

    expect(await screen.findByRole("heading", { level: 1, name: "Sign in" })).toBeTruthy();
    expect(screen.getByRole("status").textContent).toContain(`Your session ended: ${REVOKED}`);
    expect(window.location.pathname + window.location.search).toBe("/jobs?status=failed");
    expect(sessionStorage.getItem("outbound-sync:session")).toBeNull();
  });
});
