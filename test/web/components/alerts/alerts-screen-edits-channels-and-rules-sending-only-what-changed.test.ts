import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeAlertRule, makeChannel, makeConnection, makeErrorBody, page, stubApi, type ApiCall } from "../../factories";
import type { AlertChannel, AlertRule } from "../../../../worker/schemas/alerts";
import type { ConnectionSummary } from "../../../../worker/schemas/types";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: AlertsScreen } = await import("../../../../web/src/components/alerts/AlertsScreen.svelte");

afterEach(() => {
  vi.unstubAllGlobals();
});

type Call = ApiCall;

interface World {
  channels: AlertChannel[];
  rules: AlertRule[];
  connections?: ConnectionSummary[];
  // Answers a PATCH; the default applies the body to the stored channel or rule, as the server does.
  patch?: (call: Call) => Response | undefined;
}

// Stands in for the API: lists from `world`, and PATCHes that change it, so a later GET sees the change.
function serve(world: World): Call[] {
  return stubApi((call) => {
    const { method, path, body } = call;
    if (method === "GET" && path === "/api/alerts/channels") return jsonResponse(page(world.channels));
    if (method === "GET" && path === "/api/alerts/rules") return jsonResponse(page(world.rules));
    if (method === "GET" && path === "/api/connections") return jsonResponse(page(world.connections ?? []));
    if (method === "GET" && path === "/api/alerts/deliveries") return jsonResponse(page([]));
    if (method === "PATCH") {
      const answer = world.patch?.(call);
      if (answer) return answer;
      const changes = body as Record<string, unknown>;
      const channel = world.channels.find((entry) => path === `/api/alerts/channels/${entry.id}`);
      if (channel) {
        const { name, enabled, webhook_url: _secretUrl, routing_key: _secretKey, ...config } = changes;
        const updated: AlertChannel = {
          ...channel,
          ...(typeof name === "string" ? { name } : {}),
          ...(typeof enabled === "boolean" ? { enabled } : {}),
          config: { ...channel.config, ...config },
        };
        world.channels = world.channels.map((entry) => (entry.id === channel.id ? updated : entry));
        world.rules = world.rules.map((rule) => (rule.channel_id === channel.id ? { ...rule, channel_name: updated.name } : rule));
        return jsonResponse(updated);
      }
      const rule = world.rules.find((entry) => path === `/api/alerts/rules/${entry.id}`);
      if (rule) {
        const updated = { ...rule, ...changes } as AlertRule;
        world.rules = world.rules.map((entry) => (entry.id === rule.id ? updated : entry));
        return jsonResponse(updated);
      }
    }
    throw new Error(`unexpected request ${method} ${path}`);
  });
}

const patches = (calls: Call[]) => calls.filter((call) => call.method === "PATCH");

async function channelItem(name: string): Promise<HTMLElement> {
  return (await screen.findByRole("heading", { name })).closest("li") as HTMLElement;
}

function fieldErrors(input: HTMLElement): string {
  const ids = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id.endsWith("-error"));
  return ids.map((id) => document.getElementById(id)?.textContent?.trim() ?? "").join(" ");
}

describe("editing an alert channel", () => {
  it("scopes a webhook to chosen connections and shows them by name", async () => {
    const connections = [makeConnection({ id: "conn_a", name: "Salesforce" }), makeConnection({ id: "conn_b", name: "HubSpot" })];
    const channel = makeChannel({ name: "Team hook" });
    const calls = serve({ channels: [channel], rules: [], connections });
    render(AlertsScreen);

    const item = await channelItem("Team hook");
    expect(item.textContent).toContain("All connections");
    await fireEvent.click(within(item).getByRole("button", { name: "Edit Team hook" }));
    const form = screen.getByRole("form", { name: "Edit Team hook" });
    await fireEvent.click(within(form).getByRole("radio", { name: "Chosen connections" }));
    await fireEvent.click(within(form).getByRole("checkbox", { name: /HubSpot/ }));
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));

    await waitFor(() => expect(screen.queryByRole("form", { name: "Edit Team hook" })).toBeNull());
    expect(patches(calls)).toEqual([{ method: "PATCH", path: `/api/alerts/channels/${channel.id}`, body: { connection_ids: ["conn_b"] } }]);
    const connectionsFact = within(await channelItem("Team hook")).getByText("Connections").nextElementSibling;
    expect(connectionsFact?.textContent).toBe("HubSpot");
  });

  it("sends only the changed fields, shows the new values, and returns focus to the row's Edit button", async () => {
    const channel = makeChannel({ name: "Ops webhook", config: { url: "https://hooks.example.com/old", event_types: ["alert.raised"] } });
    const calls = serve({ channels: [channel], rules: [makeAlertRule(channel)] });
    render(AlertsScreen);

    await fireEvent.click(within(await channelItem("Ops webhook")).getByRole("button", { name: "Edit Ops webhook" }));
    const form = screen.getByRole("form", { name: "Edit Ops webhook" });
    const name = within(form).getByLabelText("Name") as HTMLInputElement;
    expect(document.activeElement).toBe(name);
    expect(name.value).toBe("Ops webhook");
    expect((within(form).getByLabelText("Endpoint URL") as HTMLInputElement).value).toBe("https://hooks.example.com/old");
    expect((within(form).getByRole("checkbox", { name: /Alert raised/ }) as HTMLInputElement).checked).toBe(true);
    // The kind is shown, not offered: the API keeps it.
    expect(within(form).queryByRole("combobox", { name: "Channel" })).toBeNull();

    await fireEvent.input(name, { target: { value: "Ops on-call" } });
    await fireEvent.input(within(form).getByLabelText("Endpoint URL"), { target: { value: "https://hooks.example.com/new" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));

    const item = await channelItem("Ops on-call");
    expect(patches(calls)).toEqual([
      { method: "PATCH", path: `/api/alerts/channels/${channel.id}`, body: { name: "Ops on-call", url: "https://hooks.example.com/new" } },
    ]);
    expect(item.textContent).toContain("https://hooks.example.com/new");
    expect(screen.queryByRole("form", { name: /^Edit / })).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(within(item).getByRole("button", { name: "Edit Ops on-call" })));
    // The rules table names each rule's channel, so it follows the rename.
    expect(await within(screen.getByRole("table", { name: "Alert rules" })).findByRole("rowheader", { name: "Ops on-call" })).toBeTruthy();
  });

  it("shows a 400's field details at the field and keeps the form open", async () => {
    const channel = makeChannel({ name: "Ops webhook" });
    serve({
      channels: [channel],
      rules: [],
      patch: () =>
        jsonResponse(makeErrorBody("validation_failed", "Invalid request body: url: …", [{ path: "url", message: "URL must use https", in: "body" }]), 400),
    });
    render(AlertsScreen);

    await fireEvent.click(within(await channelItem("Ops webhook")).getByRole("button", { name: "Edit Ops webhook" }));
    const form = screen.getByRole("form", { name: "Edit Ops webhook" });
    const url = within(form).getByLabelText("Endpoint URL");
    await fireEvent.input(url, { target: { value: "http://hooks.example.com/plain" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));

    await waitFor(() => expect(url.getAttribute("aria-invalid")).toBe("true"));
    expect(fieldErrors(url)).toBe("URL must use https");
    expect(screen.getByRole("form", { name: "Edit Ops webhook" })).toBe(form);
  });

  it("sends a write-only secret only when one is typed", async () => {
    const slack = makeChannel({ name: "Slack ops", kind: "slack", config: {}, secret_hint: "••••9xQz" });
    const pager = makeChannel({ name: "PagerDuty", kind: "pagerduty", config: { events_url: "https://events.pagerduty.com/v2/enqueue", severity: "error" } });
    const calls = serve({ channels: [slack, pager], rules: [] });
    render(AlertsScreen);

    await fireEvent.click(within(await channelItem("Slack ops")).getByRole("button", { name: "Edit Slack ops" }));
    let form = screen.getByRole("form", { name: "Edit Slack ops" });
    const url = within(form).getByLabelText("Slack incoming-webhook URL") as HTMLInputElement;
    expect(url.value).toBe("");
    expect(form.textContent).toContain("Leave blank to keep the current one (••••9xQz)");
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "Slack #ops" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await channelItem("Slack #ops");

    await fireEvent.click(within(await channelItem("PagerDuty")).getByRole("button", { name: "Edit PagerDuty" }));
    form = screen.getByRole("form", { name: "Edit PagerDuty" });
    await fireEvent.input(within(form).getByLabelText("Routing key"), { target: { value: "  R0UT1NGKEY  " } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: "Edit PagerDuty" })).toBeNull());

    expect(patches(calls).map((call) => call.body)).toEqual([{ name: "Slack #ops" }, { routing_key: "R0UT1NGKEY" }]);
  });

  it("leaves the list as it was on Cancel, sending nothing", async () => {
    const channel = makeChannel({ name: "Ops webhook" });
    const calls = serve({ channels: [channel], rules: [] });
    render(AlertsScreen);

    const item = await channelItem("Ops webhook");
    await fireEvent.click(within(item).getByRole("button", { name: "Edit Ops webhook" }));
    const form = screen.getByRole("form", { name: "Edit Ops webhook" });
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "Renamed" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Cancel" }));

    const edit = await within(item).findByRole("button", { name: "Edit Ops webhook" });
    await waitFor(() => expect(document.activeElement).toBe(edit));
    expect(screen.queryByRole("heading", { name: "Renamed" })).toBeNull();
    expect(patches(calls)).toEqual([]);
  });
});

describe("editing an alert rule", () => {
  it("sends only the changed threshold and scope and shows them in the table", async () => {
    const channel = makeChannel({ name: "Ops webhook" });
    const billing = makeConnection({ name: "Billing export" });
    const rule = makeAlertRule(channel, { failure_threshold: 1, connection_ids: null });
    const calls = serve({ channels: [channel], rules: [rule], connections: [makeConnection({ name: "Device status" }), billing] });
    render(AlertsScreen);

    const table = await screen.findByRole("table", { name: "Alert rules" });
    await fireEvent.click(await within(table).findByRole("button", { name: "Edit the rule for Ops webhook" }));
    const form = screen.getByRole("form", { name: "Edit the rule for Ops webhook" });
    const threshold = within(form).getByLabelText("Alert after N consecutive failures") as HTMLInputElement;
    expect(document.activeElement).toBe(threshold);
    expect(threshold.value).toBe("1");

    await fireEvent.input(threshold, { target: { value: "2" } });
    await fireEvent.click(within(form).getByRole("radio", { name: "Chosen connections" }));
    await fireEvent.click(within(form).getByRole("checkbox", { name: /Billing export/ }));
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));

    const row = (await within(table).findByText("2 consecutive failures")).closest("tr") as HTMLElement;
    expect(row.textContent).toContain("Billing export");
    expect(patches(calls)).toEqual([{ method: "PATCH", path: `/api/alerts/rules/${rule.id}`, body: { connection_ids: [billing.id], failure_threshold: 2 } }]);
    await waitFor(() => expect(document.activeElement).toBe(within(row).getByRole("button", { name: "Edit the rule for Ops webhook" })));
  });

  it("turns a rule into a Verify Mismatch rule, with the threshold asked as records in a job", async () => {
    const channel = makeChannel({ name: "Ops webhook" });
    const rule = makeAlertRule(channel, { failure_threshold: 1 });
    const calls = serve({ channels: [channel], rules: [rule], connections: [] });
    render(AlertsScreen);

    const table = await screen.findByRole("table", { name: "Alert rules" });
    await fireEvent.click(await within(table).findByRole("button", { name: "Edit the rule for Ops webhook" }));
    const form = screen.getByRole("form", { name: "Edit the rule for Ops webhook" });
    await fireEvent.change(within(form).getByLabelText("Alert on"), { target: { value: "verify_mismatch" } });
    expect(within(form).queryByLabelText("Alert after N consecutive failures")).toBeNull();
    await fireEvent.input(within(form).getByLabelText("Alert when a job has N or more Verify Mismatch records"), { target: { value: "3" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));

    await within(table).findByText("3+ Verify Mismatch records in a job");
    expect(patches(calls)).toEqual([{ method: "PATCH", path: `/api/alerts/rules/${rule.id}`, body: { condition: "verify_mismatch", failure_threshold: 3 } }]);
  });

  it("turns a rule into a volume change rule with its own fields, and shows the server's message at a parameter", async () => {
    const channel = makeChannel({ name: "Ops webhook" });
    const rule = makeAlertRule(channel);
    const calls = serve({ channels: [channel], rules: [rule], connections: [] });
    render(AlertsScreen);

    await fireEvent.click(await screen.findByRole("button", { name: "Edit the rule for Ops webhook" }));
    const form = screen.getByRole("form", { name: "Edit the rule for Ops webhook" });
    expect(within(form).queryByLabelText("Count to watch")).toBeNull();
    await fireEvent.change(within(form).getByLabelText("Alert on"), { target: { value: "volume_change" } });
    expect(within(form).queryByLabelText(/consecutive failures/)).toBeNull();
    expect(within(form).queryByLabelText("Alert when a run takes more than N × the median")).toBeNull();
    await fireEvent.change(within(form).getByLabelText("Count to watch"), { target: { value: "would_update" } });
    await fireEvent.input(within(form).getByLabelText("Margin around the recent range (%)"), { target: { value: "35" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));

    await within(screen.getByRole("table", { name: "Alert rules" })).findByText("Would Update outside the recent range ±35% (last 10 runs)");
    expect(patches(calls)).toEqual([
      { method: "PATCH", path: `/api/alerts/rules/${rule.id}`, body: { condition: "volume_change", params: { percent: 35, metric: "would_update" } } },
    ]);
  });

  it("shows the server's message about a rule parameter at its field", async () => {
    const channel = makeChannel({ name: "Ops webhook" });
    serve({
      channels: [channel],
      rules: [makeAlertRule(channel, { condition: "missing_spike", params: { percent: 20 } })],
      patch: () =>
        jsonResponse(
          makeErrorBody("validation_failed", "Invalid request body: params.percent: …", [
            { path: "params.percent", message: "missing_spike: the jump in percentage points must be above 0 and at most 100", in: "body" },
          ]),
          400,
        ),
    });
    render(AlertsScreen);

    await fireEvent.click(await screen.findByRole("button", { name: "Edit the rule for Ops webhook" }));
    const form = screen.getByRole("form", { name: "Edit the rule for Ops webhook" });
    const percent = within(form).getByLabelText("Alert on a jump of N percentage points") as HTMLInputElement;
    expect(percent.value).toBe("20");
    await fireEvent.input(percent, { target: { value: "150" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));

    await waitFor(() => expect(fieldErrors(percent)).toBe("missing_spike: the jump in percentage points must be above 0 and at most 100"));
  });

  it("shows the server's threshold message at the field", async () => {
    const channel = makeChannel({ name: "Ops webhook" });
    serve({
      channels: [channel],
      rules: [makeAlertRule(channel)],
      patch: () =>
        jsonResponse(
          makeErrorBody("validation_failed", "Invalid request body: failure_threshold: …", [
            { path: "failure_threshold", message: "Too small: expected number to be >=1", in: "body" },
          ]),
          400,
        ),
    });
    render(AlertsScreen);

    await fireEvent.click(await screen.findByRole("button", { name: "Edit the rule for Ops webhook" }));
    const form = screen.getByRole("form", { name: "Edit the rule for Ops webhook" });
    const threshold = within(form).getByLabelText("Alert after N consecutive failures");
    await fireEvent.input(threshold, { target: { value: "0" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));

    await waitFor(() => expect(fieldErrors(threshold)).toBe("Too small: expected number to be >=1"));
    expect(threshold.getAttribute("aria-invalid")).toBe("true");
  });

  it("sets a rule's severity and snoozes it, shows Muted until in the table, and unmutes it from the row", async () => {
    const channel = makeChannel({ name: "Ops webhook" });
    const rule = makeAlertRule(channel);
    const calls = serve({ channels: [channel], rules: [rule], connections: [] });
    render(AlertsScreen);

    const table = await screen.findByRole("table", { name: "Alert rules" });
    await fireEvent.click(await within(table).findByRole("button", { name: "Edit the rule for Ops webhook" }));
    const form = screen.getByRole("form", { name: "Edit the rule for Ops webhook" });
    await fireEvent.change(within(form).getByLabelText("Severity"), { target: { value: "warning" } });
    await fireEvent.change(within(form).getByLabelText("Snooze"), { target: { value: "1w" } });
    const before = Date.now();
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));

    const row = (await within(table).findByText(/^Muted until/)).closest("tr") as HTMLElement;
    expect(row.textContent).toContain("Warning");
    const [patch] = patches(calls);
    const body = patch!.body as { severity: string; muted_until: string };
    expect(body.severity).toBe("warning");
    expect(Date.parse(body.muted_until) - before).toBeGreaterThanOrEqual(7 * 24 * 3_600_000 - 1_000);
    expect(Date.parse(body.muted_until) - before).toBeLessThanOrEqual(7 * 24 * 3_600_000 + 60_000);

    await fireEvent.click(within(row).getByRole("button", { name: "Unmute the rule for Ops webhook" }));
    await waitFor(() => expect(within(table).queryByText(/^Muted until/)).toBeNull());
    expect(patches(calls)[1]).toEqual({ method: "PATCH", path: `/api/alerts/rules/${rule.id}`, body: { muted_until: null } });
  });
});
