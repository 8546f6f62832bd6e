import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import App from "../../../web/src/App.svelte";
import { router } from "../../../web/src/lib/router.svelte";
import { session } from "../../../web/src/state/session.svelte";
import { jsonResponse, makeErrorBody, makeHealth } from "../factories";

const VIEWER_TOKEN = "osk_v_0123456789abcdefghjkmnpqrstvwxyz";
const VIEWER_NAME = "office wallboard";

// A socket that never connects: the dashboard then leans on its REST reads.
class SilentSocket {
  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;
  readyState = 0;
  send(): void {}
  close(): void {}
}

// The server: knows one viewer token; `expired` makes it refuse that token from then on.
function serve() {
  const server = { expired: false, authorizations: [] as Array<string | null> };
  vi.stubGlobal("WebSocket", SilentSocket);
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), "http://localhost");
      const authorization = new Headers(init?.headers).get("authorization");
      server.authorizations.push(authorization);
      if (url.pathname === "/api/health") return jsonResponse(makeHealth());
      if (authorization !== `Bearer ${VIEWER_TOKEN}` || server.expired) {
        return jsonResponse(makeErrorBody("unauthorized", "The API token is not recognised."), 401);
      }
      if (url.pathname === "/api/session") return jsonResponse({ kind: "token", id: "tok_wallboard", name: VIEWER_NAME, role: "viewer" });
      if (url.pathname === "/api/stats") return jsonResponse(makeErrorBody("internal_error", "not in this test"), 500);
      if (url.pathname === "/api/destinations/breakers") return jsonResponse({ breakers: [] });
      return jsonResponse({ data: [], next_cursor: null });
    }),
  );
  return server;
}

beforeEach(() => {
  // jsdom lays nothing out; the header keeps the current page's link in view with this.
  Element.prototype.scrollIntoView ??= () => {};
  vi.spyOn(window, "scrollTo").mockImplementation(() => {});
  session.signOut();
  router.navigate("/", { replace: true });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("signing in", () => {
  it("refuses a token the server does not know, then signs in with a good one and shows the role", async () => {
    serve();
    render(App);

    expect(screen.getByRole("heading", { level: 1, name: "Sign in" })).toBeTruthy();
    expect(screen.queryByRole("navigation", { name: "Main" })).toBeNull();

    const field = screen.getByLabelText("API token");
    await fireEvent.input(field, { target: { value: "osk_v_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" } });
    await fireEvent.submit(field.closest("form") as HTMLFormElement);
    expect((await screen.findByRole("alert")).textContent).toContain("not recognised");

    await fireEvent.input(field, { target: { value: VIEWER_TOKEN } });
    await fireEvent.submit(field.closest("form") as HTMLFormElement);

    expect(await screen.findByRole("heading", { level: 1, name: "Dashboard" })).toBeTruthy();
    const [header] = screen.getAllByRole("banner");
    if (!header) throw new Error("no page banner");
    expect(within(header).getByText("Viewer")).toBeTruthy();
    expect(within(header).getByText(VIEWER_NAME)).toBeTruthy();
    expect(sessionStorage.getItem("outbound-sync:session")).toContain(VIEWER_TOKEN);

    // Role-aware: a viewer cannot run, and is told why.
    const outbound = screen.getByRole("region", { name: "Outbound runs" });
    expect((within(outbound).getByRole("button", { name: "Run Single" }) as HTMLButtonElement).disabled).toBe(true);
    expect(within(outbound).getByText("Viewer tokens cannot run and cancel: this needs the operator role.")).toBeTruthy();
  });

  it("sends every call with the bearer token, and a 401 anywhere returns to sign-in on the same page", async () => {
    const server = serve();
    router.navigate("/jobs?status=failed");
    render(App);
    const field = screen.getByLabelText("API token");
    await fireEvent.input(field, { target: { value: VIEWER_TOKEN } });
    await fireEvent.submit(field.closest("form") as HTMLFormElement);
    expect(await screen.findByRole("heading", { level: 1, name: "Outbound Sync Jobs" })).toBeTruthy();
    expect(server.authorizations.at(-1)).toBe(`Bearer ${VIEWER_TOKEN}`);

    server.expired = true;
    await fireEvent.change(screen.getByLabelText("Type"), { target: { value: "full" } });

    expect(await screen.findByRole("heading", { level: 1, name: "Sign in" })).toBeTruthy();
    expect(screen.getByText(/Your session ended: The API token is not recognised/)).toBeTruthy();
    expect(window.location.pathname + window.location.search).toBe("/jobs?status=failed&type=full");
    expect(sessionStorage.getItem("outbound-sync:session")).toBeNull();
  });
});
