import { env } from "cloudflare:test";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { commit, jobFinishStatements } from "../../../worker/ledger/run-writes";
import type { Connection } from "../../../worker/schemas/connections";
import { api, makeConnection, makeCredential, makeRun, makeToken, type ConnectionFixture } from "../factories";
import { createChannel, createRule, makeReceiver, resetAlerts } from "../alerts/support";
import { judgeConnectionPause } from "../../../worker/alerts/pause-alerts";
import type { EventPayload } from "../../../worker/alerts/payload";
import { captureScheduleQueue, leapDaySchedule, leapDayTick, runsOfConnection, ticksAt } from "../factories/schedule";

beforeEach(resetAlerts);
afterEach(() => {
  vi.restoreAllMocks();
});

async function setPauseAfter(runs: number): Promise<void> {
  const admin = await makeToken("admin");
  const res = await api("PUT", "/api/settings", { connections: { pause_after_failed_runs: runs } }, { authorization: `Bearer ${admin.token}` });
  expect(res.status).toBe(200);
}

// A job of the connection finishes as the coordinator finishes it: the same ledger batch, with the connection's bookkeeping.
async function finishJob(connection: ConnectionFixture, status: "failed" | "completed", at: number): Promise<void> {
  const run = await makeRun({ status: "running", started_at: at - 1_000, finished_at: null }, [
    { connection_id: connection.id, connection_name: connection.name, status: "running", started_at: at - 1_000 },
  ]);
  const job = run.jobs[0]!;
  await commit(
    env.LEDGER,
    jobFinishStatements(env.LEDGER, {
      job: { id: job.id, run_id: run.id, connection_id: connection.id, connection_name: connection.name },
      from: "running",
      status,
      now: at,
      startedAt: at - 1_000,
      counters: null,
      error: status === "failed" ? { code: "http_503", http_status: 503, message: "503 Service Unavailable", hint: "" } : null,
      connection: { mode: "live", advanceCursor: null },
    }),
  );
}

const connectionOf = async (id: string) => (await api<Connection>("GET", `/api/connections/${id}`)).body;

it("pauses a connection at its Mth failed job in a row, skips its scheduled ticks, and resumes it for an operator", async () => {
  await setPauseAfter(3);
  const credential = await makeCredential();
  const connection = await makeConnection(credential, { schedule: leapDaySchedule(5) });
  const t0 = Date.UTC(2032, 1, 28);

  await finishJob(connection, "failed", t0 + 1);
  await finishJob(connection, "completed", t0 + 2);
  await finishJob(connection, "failed", t0 + 3);
  await finishJob(connection, "failed", t0 + 4);
  expect(await connectionOf(connection.id)).toMatchObject({ consecutive_failures: 2, paused: null });

  await finishJob(connection, "failed", t0 + 5);
  const paused = await connectionOf(connection.id);
  expect(paused.paused).toEqual({ at: new Date(t0 + 5).toISOString(), reason: "Failed 3 runs in a row; last error: 503 Service Unavailable" });
  const list = await api<{ data: Connection[] }>("GET", `/api/connections?credential_id=${credential.id}`);
  expect(list.body.data[0]?.paused?.reason).toBe("Failed 3 runs in a row; last error: 503 Service Unavailable");

  // A later failure (a manual run) leaves the pause as it was.
  await finishJob(connection, "failed", t0 + 6);
  expect((await connectionOf(connection.id)).paused?.at).toBe(new Date(t0 + 5).toISOString());

  const queue = captureScheduleQueue();
  await queue.fire(leapDayTick(5));
  await queue.deliver();
  const ticks = await ticksAt([connection.id], leapDayTick(5));
  expect(ticks.get(connection.id)).toEqual({
    outcome: "skipped",
    run_id: null,
    reason: "connection paused (Failed 3 runs in a row; last error: 503 Service Unavailable); resume it to run on schedule",
  });
  expect((await runsOfConnection(connection.id)).filter((run) => run.status === "pending")).toEqual([]);

  const viewer = await makeToken("viewer");
  expect((await api("POST", `/api/connections/${connection.id}/resume`, undefined, { authorization: `Bearer ${viewer.token}` })).status).toBe(403);
  const resumed = await api<Connection>("POST", `/api/connections/${connection.id}/resume`);
  expect(resumed.status).toBe(200);
  expect(resumed.body).toMatchObject({ paused: null, consecutive_failures: 0 });
  expect((await api("POST", "/api/connections/conn_missing/resume")).status).toBe(404);

  // The streak starts again from the resume.
  await finishJob(connection, "failed", t0 + 7);
  expect(await connectionOf(connection.id)).toMatchObject({ consecutive_failures: 1, paused: null });
});

it("never pauses when pause_after_failed_runs is 0, and says the setting in GET /api/settings", async () => {
  await setPauseAfter(0);
  const settings = await api<{ connections: { pause_after_failed_runs: number } }>("GET", "/api/settings");
  expect(settings.body.connections).toEqual({ pause_after_failed_runs: 0 });
  const connection = await makeConnection(await makeCredential());
  for (let i = 1; i <= 12; i++) await finishJob(connection, "failed", Date.UTC(2032, 0, 1) + i);
  expect(await connectionOf(connection.id)).toMatchObject({ consecutive_failures: 12, paused: null });
});

it("warns one failed job before the pause, turns critical at the pause, and resolves on resume: one alert per change", async () => {
  await setPauseAfter(3);
  const connection = await makeConnection(await makeCredential(), { name: "Salesforce → Snowflake" });
  const receiver = await makeReceiver();
  const channel = await createChannel({ kind: "webhook", url: receiver.url });
  const rule = await createRule({ channel_id: channel.id, condition: "connection_paused", connection_ids: [connection.id] });
  const t0 = Date.UTC(2032, 2, 1);
  // The coordinator judges the connection after committing each finish; here the test does, as it finishes jobs itself.
  const fail = async (i: number) => {
    await finishJob(connection, "failed", t0 + i);
    await judgeConnectionPause(env, connection.id, { now: t0 + i });
  };
  const alerts = async () => {
    const { results } = await env.LEDGER.prepare("SELECT type, payload_json FROM events WHERE connection_id = ?1 AND type LIKE 'alert.%' ORDER BY seq")
      .bind(connection.id)
      .all<{ type: string; payload_json: string }>();
    return results.map((row) => {
      const alert = (JSON.parse(row.payload_json) as EventPayload).alert!;
      return [row.type, alert.state, alert.summary];
    });
  };

  await fail(1);
  expect(await alerts()).toEqual([]);
  await fail(2);
  await fail(2); // the same finish replayed and judged again: still one warning
  expect(await alerts()).toEqual([["alert.raised", "warning", "Failed 2 runs in a row: pauses after one more failed run"]]);
  await fail(3);
  await fail(4);
  const paused = "Paused: Failed 3 runs in a row; last error: 503 Service Unavailable. The schedule skips it until someone resumes it";
  expect((await alerts()).slice(1)).toEqual([["alert.raised", "critical", paused]]);

  expect((await api("POST", `/api/connections/${connection.id}/resume`)).status).toBe(200);
  expect((await alerts()).slice(2)).toEqual([["alert.resolved", "resolved", "Resumed, or synced again: no longer paused"]]);
  const incidents = await env.LEDGER.prepare("SELECT severity, resolved_at IS NOT NULL AS resolved FROM alert_incidents WHERE rule_id = ?1")
    .bind(rule.id)
    .all();
  expect(incidents.results).toEqual([{ severity: "critical", resolved: 1 }]);

  // A warning that a completed job ends before the pause resolves too.
  await fail(5);
  await fail(6);
  await finishJob(connection, "completed", t0 + 7);
  await judgeConnectionPause(env, connection.id, { now: t0 + 7 });
  expect((await alerts()).slice(3).map(([type, state]) => [type, state])).toEqual([
    ["alert.raised", "warning"],
    ["alert.resolved", "resolved"],
  ]);
});
