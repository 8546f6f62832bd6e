import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeAlertRule, makeChannel, makeConnectionDetail, page, stubApi, type ApiCall } from "../../factories";
import type { Connection } from "../../../../worker/schemas/types";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionAlertsPanel } = await import("../../../../web/src/components/connections/ConnectionAlertsPanel.svelte");

afterEach(() => {
  vi.unstubAllGlobals();
});

type Call = ApiCall;

const slack = makeChannel({ name: "Ops Slack", kind: "slack", config: {} });
const pager = makeChannel({ name: "On-call PagerDuty" });

// Stands in for the API: the rules and channels, the connection's routes, and the two PUTs answered as the server does.
function serve(connection: Connection, rules = [makeAlertRule(slack), makeAlertRule(slack, { connection_ids: ["conn_elsewhere"] })]): Call[] {
  return stubApi(({ method, path, body }) => {
    if (method === "GET" && path === "/api/alerts/rules") return jsonResponse(page(rules));
    if (method === "GET" && path === "/api/alerts/channels") return jsonResponse(page([slack, pager]));
    if (method === "GET" && path === `/api/connections/${connection.id}/alert-routes`) return jsonResponse({ data: [] });
    if (method === "PUT" && path === `/api/connections/${connection.id}/alerts-mute`) {
      return jsonResponse({ connection_id: connection.id, alerts_muted_until: (body as { until: string | null }).until });
    }
    if (method === "PUT" && path === `/api/connections/${connection.id}/alert-routes`) {
      const routes = (body as { routes: Array<{ rule_id: string; channel_id: string }> }).routes;
      return jsonResponse({
        data: routes.map((r) => ({ ...r, channel_name: pager.name, channel_kind: pager.kind, created_at: "2026-12-06T09:00:00.000Z" })),
      });
    }
    throw new Error(`unexpected request ${method} ${path}`);
  });
}

const puts = (calls: Call[]) => calls.filter((call) => call.method === "PUT");

describe("the connection editor's Alerts section", () => {
  it("mutes the connection's alerts for a day, shows until when, and unmutes them", async () => {
    const connection = makeConnectionDetail({ name: "Device status" });
    const calls = serve(connection);
    render(ConnectionAlertsPanel, { connection, muteLocked: null, routeLocked: null });

    expect(screen.getByText("Not muted.")).toBeTruthy();
    await fireEvent.change(screen.getByLabelText("Mute for"), { target: { value: "1d" } });
    const before = Date.now();
    await fireEvent.click(screen.getByRole("button", { name: "Mute alerts" }));

    await screen.findByText(/^Muted until/);
    const until = (puts(calls)[0]!.body as { until: string }).until;
    expect(Date.parse(until) - before).toBeGreaterThanOrEqual(24 * 3_600_000 - 1_000);
    expect(Date.parse(until) - before).toBeLessThanOrEqual(24 * 3_600_000 + 60_000);

    await fireEvent.click(screen.getByRole("button", { name: "Unmute" }));
    await screen.findByText("Not muted.");
    expect(puts(calls)[1]).toEqual({ method: "PUT", path: `/api/connections/${connection.id}/alerts-mute`, body: { until: null } });
  });

  it("lists only the rules that watch this connection and routes one of them to another channel", async () => {
    const connection = makeConnectionDetail({ name: "Device status" });
    const watching = makeAlertRule(slack);
    const calls = serve(connection, [watching, makeAlertRule(slack, { connection_ids: ["conn_elsewhere"] })]);
    render(ConnectionAlertsPanel, { connection, muteLocked: null, routeLocked: null });

    const form = await screen.findByRole("form", { name: "Alert routing" });
    const selects = within(form).getAllByRole("combobox");
    expect(selects).toHaveLength(1);
    expect((selects[0] as HTMLSelectElement).value).toBe("");
    expect(within(form).getByRole("option", { name: "The rule's channel (Ops Slack)" })).toBeTruthy();
    await fireEvent.change(selects[0]!, { target: { value: pager.id } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save routing" }));

    await screen.findByText("Saved 1 route.");
    expect(puts(calls)).toEqual([
      { method: "PUT", path: `/api/connections/${connection.id}/alert-routes`, body: { routes: [{ rule_id: watching.id, channel_id: pager.id }] } },
    ]);
  });

  it("says why a viewer can neither mute nor route", async () => {
    const connection = makeConnectionDetail();
    serve(connection);
    render(ConnectionAlertsPanel, { connection, muteLocked: "Operators and admins can mute alerts.", routeLocked: "Only admins can change routing." });
    expect((screen.getByRole("button", { name: "Mute alerts" }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText("Operators and admins can mute alerts.")).toBeTruthy();
    expect(((await screen.findByRole("button", { name: "Save routing" })) as HTMLButtonElement).disabled).toBe(true);
  });
});
