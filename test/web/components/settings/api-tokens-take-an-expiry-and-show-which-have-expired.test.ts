import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ApiTokenSummary, CreatedApiToken } from "../../../../worker/schemas/types";
import { jsonResponse, makeErrorBody, page } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ApiTokens } = await import("../../../../web/src/components/settings/ApiTokens.svelte");
const { TokensState } = await import("../../../../web/src/state/settings.svelte");

const DAY_MS = 86_400_000;

let tokenCounter = 0;
function makeApiToken(overrides: Partial<ApiTokenSummary> = {}): ApiTokenSummary {
  const n = ++tokenCounter;
  return {
    id: `tok_${n}`,
    name: `token-${n}`,
    role: "viewer",
    prefix: `osk_v_${String(n).padStart(6, "0")}`,
    created_by: "admin",
    created_at: new Date(Date.now() - 10 * DAY_MS).toISOString(),
    last_used_at: null,
    revoked_at: null,
    expires_at: null,
    ...overrides,
  };
}

interface Posted {
  body: Record<string, unknown>;
}

function serve(tokens: ApiTokenSummary[], answer?: (body: Record<string, unknown>) => Response): Posted[] {
  const posted: Posted[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      const method = init?.method ?? "GET";
      if (method === "GET" && path === "/api/tokens") return jsonResponse(page(tokens));
      if (method === "POST" && path === "/api/tokens") {
        const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
        posted.push({ body });
        if (answer) return answer(body);
        const expires = typeof body.expires_in_days === "number" ? new Date(Date.now() + body.expires_in_days * DAY_MS).toISOString() : null;
        const created: CreatedApiToken = { ...makeApiToken({ name: String(body.name), expires_at: expires }), token: "osk_v_created" };
        return jsonResponse(created, 201);
      }
      throw new Error(`unexpected request ${method} ${path}`);
    }),
  );
  return posted;
}

// As the Settings screen does for an admin: load the list, then show it.
function renderTokens(): void {
  const model = new TokensState();
  void model.tokens.reload();
  render(ApiTokens, { model, ownPrefix: null });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("Settings → API tokens", () => {
  it("lists when each token expires, marks an expired one and offers no revoke for it", async () => {
    const inAMonth = new Date(Date.now() + 30 * DAY_MS).toISOString();
    const lastWeek = new Date(Date.now() - 7 * DAY_MS).toISOString();
    serve([makeApiToken({ name: "forever" }), makeApiToken({ name: "monthly", expires_at: inAMonth }), makeApiToken({ name: "lapsed", expires_at: lastWeek })]);
    renderTokens();

    const row = async (name: string) => (await screen.findByRole("rowheader", { name })).closest("tr")!;
    const cell = async (name: string, label: string) => (await row(name)).querySelector<HTMLElement>(`td[data-label="${label}"]`)!;

    expect((await cell("forever", "Expires")).textContent?.trim()).toBe("Never");
    expect((await cell("forever", "Status")).textContent).toContain("Active");

    expect((await cell("monthly", "Expires")).querySelector("time")?.getAttribute("datetime")).toBe(inAMonth);
    expect((await cell("monthly", "Expires")).textContent?.trim()).toMatch(/^(next month|in \d+ (days|weeks))$/);
    expect((await cell("monthly", "Status")).textContent).toContain("Active");
    expect(within(await row("monthly")).queryByRole("button", { name: "Revoke monthly" })).not.toBeNull();

    expect((await cell("lapsed", "Expires")).querySelector("time")?.getAttribute("datetime")).toBe(lastWeek);
    const lapsed = await cell("lapsed", "Status");
    expect(lapsed.textContent).toContain("Expired");
    expect(lapsed.textContent).not.toContain("Active");
    expect(within(await row("lapsed")).queryByRole("button", { name: "Revoke lapsed" })).toBeNull();
  });

  it("sends the chosen expiry with a new token, and none when it never expires", async () => {
    const posted = serve([]);
    renderTokens();
    await screen.findByText("No API tokens");

    await fireEvent.input(screen.getByLabelText("Token name"), { target: { value: "ci-nightly" } });
    await fireEvent.change(screen.getByLabelText("Expires"), { target: { value: "30" } });
    await fireEvent.click(screen.getByRole("button", { name: "Create token" }));
    await waitFor(() => expect(posted).toHaveLength(1));
    expect(posted[0]!.body).toEqual({ name: "ci-nightly", role: "viewer", expires_in_days: 30 });

    await fireEvent.input(screen.getByLabelText("Token name"), { target: { value: "wallboard" } });
    await fireEvent.change(screen.getByLabelText("Expires"), { target: { value: "never" } });
    await fireEvent.click(screen.getByRole("button", { name: "Create token" }));
    await waitFor(() => expect(posted).toHaveLength(2));
    expect(posted[1]!.body).toEqual({ name: "wallboard", role: "viewer" });
  });

  it("shows the server's objection to the expiry at the Expires field", async () => {
    serve([], () =>
      jsonResponse(
        makeErrorBody("validation_failed", "Invalid request body: expires_in_days: Too big", [
          { path: "expires_in_days", message: "Too big: expected number to be <=365" },
        ]),
        400,
      ),
    );
    renderTokens();
    await screen.findByText("No API tokens");

    await fireEvent.input(screen.getByLabelText("Token name"), { target: { value: "ci" } });
    await fireEvent.change(screen.getByLabelText("Expires"), { target: { value: "365" } });
    await fireEvent.click(screen.getByRole("button", { name: "Create token" }));

    const field = screen.getByLabelText("Expires");
    await waitFor(() => expect(field.getAttribute("aria-invalid")).toBe("true"));
    const described = (field.getAttribute("aria-describedby") ?? "").split(" ").map((id) => document.getElementById(id)?.textContent ?? "");
    expect(described.join(" ")).toContain("expected number to be <=365");
  });
});
