import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeAlertRule, makeAttempt, makeChannel, makeDelivery, page } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_test", role: "operator", name: "e2e-operator" }));
});

const { default: AlertsScreen } = await import("../../../../web/src/components/alerts/AlertsScreen.svelte");

afterEach(() => {
  vi.unstubAllGlobals();
});

function serve(routes: Record<string, (method: string) => Response>) {
  const requests: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      const method = init?.method ?? "GET";
      requests.push(`${method} ${path}`);
      const answer = routes[path];
      if (!answer) throw new Error(`unexpected request ${method} ${path}`);
      return answer(method);
    }),
  );
  return requests;
}

describe("the Alerts screen", () => {
  const gone = makeChannel({
    name: "Ops webhook",
    enabled: false,
    disabled_reason: "failing for 5 days (last: HTTP 503)",
    disabled_at: "2026-11-21T07:00:00.000Z",
    health: { last_success_at: "2026-11-16T07:00:00.000Z", last_failure_at: "2026-11-21T07:00:00.000Z", failing_since: "2026-11-16T08:00:00.000Z" },
  });
  const failed = makeDelivery(gone, {
    attempt_count: 2,
    attempts: [
      makeAttempt({ attempt: 1, status_code: 503, duration_ms: 842, response_excerpt: "upstream unavailable" }),
      makeAttempt({ attempt: 2, status_code: null, duration_ms: 10_000, error: "timed out after 10 s" }),
    ],
  });

  it("shows a disabled endpoint with its reason, and each delivery attempt with code, duration, excerpt and error", async () => {
    serve({
      "/api/alerts/channels": () => jsonResponse(page([gone])),
      "/api/alerts/rules": () => jsonResponse(page([makeAlertRule(gone)])),
      "/api/connections": () => jsonResponse(page([])),
      "/api/alerts/deliveries": () => jsonResponse(page([failed])),
    });

    render(AlertsScreen);

    const channel = (await screen.findByRole("heading", { name: "Ops webhook" })).closest("li") as HTMLElement;
    expect(within(channel).getByText("Disabled")).toBeTruthy();
    expect(channel.textContent).toContain("Disabled automatically");
    expect(channel.textContent).toContain("failing for 5 days (last: HTTP 503)");
    // An operator may test-send but not reconfigure: those buttons are off, with the reason on the page.
    expect((within(channel).getByRole("button", { name: "Send test" }) as HTMLButtonElement).disabled).toBe(false);
    expect((within(channel).getByRole("button", { name: "Enable" }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getAllByText(/Operator tokens cannot configure: this needs the admin role\./).length).toBeGreaterThan(0);

    const log = screen.getByRole("region", { name: "Delivery log" });
    // The run the event was about opens from the log.
    expect((await within(log).findByRole("link", { name: "run_1" })).getAttribute("href")).toBe("/jobs?run=run_1");
    await fireEvent.click(await within(log).findByRole("button", { name: "Show attempts" }));
    const attempts = within(log).getByRole("table", { name: `Attempts of delivery ${failed.webhook_id}` });
    const rows = within(attempts).getAllByRole("row").slice(1);
    expect(rows.map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent?.trim()))).toEqual([
      ["1", expect.any(String), "503", "842 ms", "upstream unavailable"],
      ["2", expect.any(String), "—", "10000 ms", "timed out after 10 s"],
    ]);
  });

  it("shows each channel's last successful delivery, since when it fails, its test schedule and how its last test went", async () => {
    const hour = 3_600_000;
    const failing = makeChannel({
      name: "Ops Slack",
      kind: "slack",
      config: {},
      health: { last_success_at: iso(-74 * hour), last_failure_at: iso(-hour), failing_since: iso(-73 * hour) },
      test_schedule: "0 9 * * 1",
      next_test_at: iso(48 * hour),
      last_test: { at: iso(-2 * hour), ok: false, status_code: 503, error: "The receiver answered HTTP 503.", trigger: "scheduled" },
    });
    const quiet = makeChannel({ name: "Quiet hook", last_test: { at: iso(-hour), ok: true, status_code: 200, error: null, trigger: "manual" } });
    serve({
      "/api/alerts/channels": () => jsonResponse(page([failing, quiet])),
      "/api/alerts/rules": () => jsonResponse(page([])),
      "/api/connections": () => jsonResponse(page([])),
      "/api/alerts/deliveries": () => jsonResponse(page([])),
    });

    render(AlertsScreen);

    const facts = async (name: string) => {
      const card = (await screen.findByRole("heading", { name })).closest("li") as HTMLElement;
      return Object.fromEntries(
        [...card.querySelectorAll("dl > div")].map((row) => [row.querySelector("dt")?.textContent?.trim(), squash(row.querySelector("dd"))]),
      );
    };
    expect(await facts("Ops Slack")).toMatchObject({
      "Last successful delivery": "3 days ago · failing since 3 days ago",
      "Scheduled test": "0 9 * * 1 (UTC) · next in 2 days",
      "Last test": "Failed 2 hours ago (scheduled): The receiver answered HTTP 503.",
    });
    expect(await facts("Quiet hook")).toMatchObject({
      "Last successful delivery": "None yet",
      "Scheduled test": "None",
      "Last test": "Delivered 1 hour ago (sent by hand)",
    });
  });

  it("redelivers a failed delivery and shows it queued again", async () => {
    const requests = serve({
      "/api/alerts/channels": () => jsonResponse(page([makeChannel({ name: "Slack ops", kind: "slack", config: {} })])),
      "/api/alerts/rules": () => jsonResponse(page([])),
      "/api/connections": () => jsonResponse(page([])),
      "/api/alerts/deliveries": () => jsonResponse(page([failed])),
      [`/api/alerts/deliveries/${failed.id}/redeliver`]: () =>
        jsonResponse({ ...failed, status: "pending", redeliveries: 1, next_attempt_at: "2026-11-21T09:00:00.000Z" }, 202),
    });

    render(AlertsScreen);
    const log = screen.getByRole("region", { name: "Delivery log" });
    await fireEvent.click(await within(log).findByRole("button", { name: "Redeliver" }));

    expect(await within(log).findByText("Retrying")).toBeTruthy();
    expect(log.textContent).toContain("redelivered 1×");
    expect(requests).toContain(`POST /api/alerts/deliveries/${failed.id}/redeliver`);
  });
});

function iso(offsetMs: number): string {
  return new Date(Date.now() + offsetMs).toISOString();
}

function squash(element: Element | null): string {
  return (element?.textContent ?? "").replace(/\s+/g, " ").trim();
}
