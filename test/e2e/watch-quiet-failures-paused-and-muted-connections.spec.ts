import type { APIRequestContext } from "@playwright/test";
import { DEMO_CONNECTIONS } from "../../worker/sandbox/demo-connections";
import { createWrongMethodConnection, resetDemo, startRun, waitForRun } from "./demo-api";
import { expect, test, type Page } from "./fixtures";
import { screenshot } from "./helpers";

const QUIET_NAME = "Firmware as a number";
const QUIET_DETAIL = "Completed with 1 failed record";

// The JSON demo connection reading the HTTP source, with firmware ("2.4.0") formatted as an integer: every record
// it reaches fails on its own, and the job still completes.
async function createQuietFailureConnection(api: APIRequestContext, credentialId: string): Promise<string> {
  const [perSerial, , httpSource] = DEMO_CONNECTIONS;
  if (!perSerial || !httpSource) throw new Error("the demo connections changed shape");
  const mapping = perSerial.config.mapping.map((rule) => (rule.source === "firmware_version" ? { ...rule, formatter: "integer" as const } : rule));
  const response = await api.post("/api/connections", {
    data: { credential_id: credentialId, name: QUIET_NAME, dry_run: true, config: { ...perSerial.config, source: httpSource.config.source, mapping } },
  });
  expect(response.ok(), await response.text()).toBe(true);
  return ((await response.json()) as { id: string }).id;
}

async function runSingle(api: APIRequestContext, credentialId: string, connectionId: string, mode: "dry" | "live"): Promise<string> {
  const run = await startRun(api, { credential_id: credentialId, type: "single", serial: "DEV-00001", mode, connection_ids: [connectionId] });
  return (await waitForRun(api, run.id, 45_000)).status;
}

// Amber with the warning icon, not the green check of a plain success.
async function expectQuietFailureBadge(page: Page, scopeText: string): Promise<void> {
  const badge = page.locator('[data-status="completed"]').filter({ hasText: QUIET_DETAIL }).first();
  await expect(badge, scopeText).toHaveText(QUIET_DETAIL);
  await expect(badge).toHaveAttribute("data-icon", "warning");
  await expect(badge).toHaveAttribute("data-tone", "warning");
  await expect(badge).toHaveCSS("background-color", "rgb(255, 243, 205)");
}

test("a job with failed records shows them in amber, and a connection paused after two failed runs says why until an operator resumes it", async ({
  page,
  adminApi,
}) => {
  test.setTimeout(90_000);
  const settings = (await (await adminApi.get("/api/settings")).json()) as { connections: { pause_after_failed_runs: number } };
  await resetDemo(adminApi);
  expect((await adminApi.put("/api/settings", { data: { connections: { pause_after_failed_runs: 2 } } })).ok()).toBe(true);
  const { credentialId, connectionId: failingId } = await createWrongMethodConnection(adminApi);
  const quietId = await createQuietFailureConnection(adminApi, credentialId);
  try {
    expect(await runSingle(adminApi, credentialId, quietId, "dry")).toBe("completed");
    expect(await runSingle(adminApi, credentialId, failingId, "live")).toBe("failed");
    expect(await runSingle(adminApi, credentialId, failingId, "live")).toBe("failed");

    // The Jobs page: the run's folder and its job row, then the job detail.
    await page.goto(`/jobs?credential=${credentialId}&status=completed`);
    const folder = page.getByRole("article").filter({ hasText: "Wrong method" });
    await expect(folder).toHaveCount(1);
    await expectQuietFailureBadge(page, "run folder");
    await folder.getByRole("button", { expanded: false }).click();
    // The folder's badge and its job row's.
    await expect(folder.locator('[data-status="completed"][data-icon="warning"]').filter({ hasText: QUIET_DETAIL })).toHaveCount(2);
    await folder.getByRole("link", { name: QUIET_NAME }).click();
    await expect(page.getByRole("heading", { level: 1, name: QUIET_NAME })).toBeVisible();
    await expectQuietFailureBadge(page, "job detail");
    await screenshot(page, "job-completed-with-failed-records");

    // The connection list: the failing connection is paused, with the streak and its last error.
    await page.goto("/connections");
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: "Device status (wrong method)" }) });
    const paused = row.locator("[data-paused]");
    await expect(paused).toContainText("Paused");
    await expect(paused).toContainText("Failed 2 runs in a row; last error:");
    await expect(paused).toContainText("405");
    await expect(paused).toContainText("The schedule skips it until resumed; manual runs still start.");
    await screenshot(page, "connection-list-paused");
    await row.getByRole("button", { name: "Resume Device status (wrong method)" }).click();
    await expect(row.locator("[data-paused]")).toHaveCount(0);
    const after = (await (await adminApi.get(`/api/connections/${failingId}`)).json()) as { paused: unknown };
    expect(after.paused).toBeNull();
  } finally {
    await adminApi.put("/api/settings", { data: { connections: settings.connections } });
    await adminApi.delete(`/api/connections/${quietId}`);
    await adminApi.delete(`/api/connections/${failingId}`);
    await adminApi.delete(`/api/credentials/${credentialId}`);
    await resetDemo(adminApi);
  }
});

test("an operator mutes a connection's alerts and snoozes a rule at Warning, and unmutes both", async ({ page, adminApi }) => {
  const [demo] = DEMO_CONNECTIONS;
  if (!demo) throw new Error("the demo connections changed shape");
  const name = `Watch webhook ${Date.now()}`;
  const channel = (await (await adminApi.post("/api/alerts/channels", { data: { kind: "webhook", name, url: "https://hooks.example.com/watch" } })).json()) as {
    id: string;
  };
  const rule = await adminApi.post("/api/alerts/rules", { data: { channel_id: channel.id, failure_threshold: 1, connection_ids: [demo.id] } });
  expect(rule.ok(), await rule.text()).toBe(true);
  try {
    // The connection editor's Mute alerts, seen in the connection list, then undone in the editor.
    await page.goto(`/connections/${demo.id}`);
    const muteState = page.getByRole("region", { name: "Alerts", exact: true }).getByRole("status").first();
    const mute = page.getByRole("form", { name: "Mute alerts" });
    await mute.getByLabel("Mute for").selectOption({ label: "Snooze 1 day" });
    await mute.getByRole("button", { name: "Mute alerts" }).click();
    await expect(muteState).toContainText(/Muted until .+No alert about this connection is sent until then/);
    await page.goto("/connections");
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: demo.name, exact: true }) });
    await expect(row.getByText(/^Alerts muted until /)).toBeVisible();
    await row.getByRole("link", { name: demo.name, exact: true }).click();
    await page.getByRole("form", { name: "Mute alerts" }).getByRole("button", { name: "Unmute" }).click();
    await expect(muteState).toHaveText("Not muted.");
    await page.goto("/connections");
    await expect(row.getByRole("link", { name: demo.name, exact: true })).toBeVisible();
    await expect(row.getByText(/^Alerts muted until /)).toHaveCount(0);

    // The Alerts screen: Severity and Snooze in the rule form, the rules table's state, Unmute from the table.
    await page.goto("/alerts");
    const rules = page.getByRole("table", { name: "Alert rules" });
    await rules.getByRole("button", { name: `Edit the rule for ${name}` }).click();
    const form = page.getByRole("form", { name: `Edit the rule for ${name}` });
    await form.getByLabel("Severity").selectOption({ label: "Warning" });
    await form.getByLabel("Snooze", { exact: true }).selectOption({ label: "Snooze 1 week" });
    await form.getByRole("button", { name: "Save changes" }).click();
    const ruleRow = rules.getByRole("row").filter({ has: page.getByRole("rowheader", { name }) });
    await expect(ruleRow).toContainText("Warning");
    await expect(ruleRow.getByText(/^Muted until /)).toBeVisible();
    await screenshot(page, "alerts-rule-snoozed");
    await ruleRow.getByRole("button", { name: `Unmute the rule for ${name}` }).click();
    await expect(ruleRow.getByText(/^Muted until /)).toHaveCount(0);
    await expect(ruleRow).toContainText("Warning");
  } finally {
    await adminApi.put(`/api/connections/${demo.id}/alerts-mute`, { data: { until: null } });
    await adminApi.delete(`/api/alerts/channels/${channel.id}`);
  }
});
