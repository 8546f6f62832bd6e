import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { deleteConnection } from "../../../worker/ledger/connections";
import { jobWaitingStatement } from "../../../worker/ledger/destination-breakers";
import { commit } from "../../../worker/ledger/run-writes";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { JobStatus } from "../../../worker/schemas/vocabulary";
import { DAY_MS, HOUR_MS } from "../../../worker/stats/time-range";
import { type ConnectionFixture, makeConnection, makeCredential, makeRun, makeToken } from "../factories";
import { createChannel } from "../alerts/support";
import { archiveOutcomes } from "../factories/archive";
import { archiveDay } from "../../../worker/archive/archive-keys";
import { setJobArchiveDay } from "../../../worker/ledger/job-archive-day";

const worker = exports.default;
const NOW = Date.now();

// The real client library, speaking streamable HTTP to the worker's own fetch handler.
async function connect(token: string | null): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
    fetch: (url, init) => worker.fetch(new Request(url, init)),
    requestInit: token === null ? {} : { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "outbound-sync-tests", version: "1.0.0" });
  await client.connect(transport);
  clients.push(client);
  return client;
}

const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

interface TextResult {
  content: Array<{ type: string; text?: string }>;
  isError?: boolean;
}

function parsed<T>(result: unknown): T {
  const { content, isError } = result as TextResult;
  expect(isError, content[0]?.text).toBeFalsy();
  return JSON.parse(content[0]?.text ?? "null") as T;
}

async function job(connection: ConnectionFixture, status: JobStatus, agoMs: number, durationMs: number, mode: "dry" | "live" = "live") {
  const createdAt = NOW - agoMs;
  const run = await makeRun({ created_at: createdAt, status, mode, started_at: createdAt, finished_at: createdAt + durationMs }, [
    {
      connection_id: connection.id,
      connection_name: connection.name,
      status,
      mode,
      duration_ms: durationMs,
      finished_at: createdAt + durationMs,
      ...(status === "failed"
        ? { error_code: "http_405", error_http_status: 405, error_message: "405 Method Not Allowed", error_hint: "verify method in Update API Contract" }
        : {}),
    },
  ]);
  return run.jobs[0]!;
}

let viewer = "";
let salesforce: ConnectionFixture;
let recentFailure = "";

beforeAll(async () => {
  viewer = (await makeToken("viewer")).token;
  const credential = await makeCredential({ name: "CRM" });
  salesforce = await makeConnection(credential, { name: "Salesforce → Snowflake", position: 1 });
  const hubspot = await makeConnection(credential, { name: "HubSpot Production", position: 2 });
  const stale = await makeConnection(credential, { name: "Zendesk tickets", position: 3 });

  await job(salesforce, "completed", 1 * DAY_MS, 60_000);
  await job(salesforce, "completed", 2 * DAY_MS, 120_000);
  await job(salesforce, "completed", 3 * DAY_MS, 90_000, "dry");
  await job(salesforce, "completed", 10 * DAY_MS, 600_000); // last week's: outside "this week"
  recentFailure = (await job(hubspot, "failed", 2 * HOUR_MS, 4_000)).id;
  await job(hubspot, "failed", 30 * HOUR_MS, 4_000); // older than 24 h
  await job(hubspot, "completed", 1 * HOUR_MS, 8_000);
  await job(stale, "completed", 4 * DAY_MS, 5_000);
  await job(stale, "failed", 20 * HOUR_MS, 1_000);
});

describe("the /mcp endpoint", () => {
  it("initializes and lists its read tools (job status, connections, a job's records, a connection's serials, a serial, alert channels) with input schemas", async () => {
    const client = await connect(viewer);
    expect(client.getServerVersion()?.name).toBe("outbound-sync");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "get_job_status",
      "get_serial_status",
      "list_alert_channels",
      "list_connection_serials",
      "list_connections",
      "list_job_records",
    ]);
    const status = tools.find((t) => t.name === "get_job_status")!;
    expect(Object.keys(status.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(["status", "connection", "since", "until", "limit"]));
    expect(status.description).toContain("last 24 hours");
    expect(status.annotations?.readOnlyHint).toBe(true);
  });

  it("offers apply_dry_run to operators only, and it refuses what the API refuses with the same code", async () => {
    const operator = await connect((await makeToken("operator")).token);
    const { tools } = await operator.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      "apply_dry_run",
      "get_job_status",
      "get_serial_status",
      "list_alert_channels",
      "list_connection_serials",
      "list_connections",
      "list_job_records",
    ]);
    expect(tools.find((t) => t.name === "apply_dry_run")!.annotations?.readOnlyHint).toBe(false);
    const live = await makeRun({ mode: "live", status: "completed" });
    const refused = (await operator.callTool({ name: "apply_dry_run", arguments: { run_id: live.id } })) as TextResult;
    expect(refused.isError).toBe(true);
    expect(refused.content[0]?.text).toContain("plan_not_dry");
    const unknown = (await operator.callTool({ name: "apply_dry_run", arguments: { run_id: "run_unknown" } })) as TextResult;
    expect(unknown.content[0]?.text).toContain("not_found");
  });

  it('answers "Show me failed sync jobs from the last 24 hours"', async () => {
    const client = await connect(viewer);
    const answer = parsed<{
      summary: { matching_jobs: number };
      jobs: Array<{ job_id: string; status: string; connection_name: string; error: { hint: string } }>;
    }>(await client.callTool({ name: "get_job_status", arguments: { status: "failed", since: "24h" } }));
    expect(answer.summary.matching_jobs).toBe(2);
    expect(answer.jobs.map((j) => j.connection_name)).toEqual(["HubSpot Production", "Zendesk tickets"]);
    expect(answer.jobs[0]).toMatchObject({ job_id: recentFailure, status: "failed", error: { hint: "verify method in Update API Contract" } });
  });

  it("gives the dashboard pages of each job, its run and each connection, on the origin the agent called", async () => {
    const client = await connect(viewer);
    const jobs = parsed<{ jobs: Array<{ job_id: string; run_id: string; job_url: string; run_url: string }> }>(
      await client.callTool({ name: "get_job_status", arguments: { status: "failed", since: "24h" } }),
    ).jobs;
    const failed = jobs.find((entry) => entry.job_id === recentFailure)!;
    expect(failed.job_url).toBe(`http://localhost/jobs/${recentFailure}`);
    expect(failed.run_url).toBe(`http://localhost/jobs?run=${failed.run_id}`);
    const connections = parsed<{ connections: Array<{ id: string; connection_url: string; runs_url: string }> }>(
      await client.callTool({ name: "list_connections", arguments: { name: salesforce.id } }),
    ).connections;
    expect(connections).toEqual([
      expect.objectContaining({
        id: salesforce.id,
        connection_url: `http://localhost/connections/${salesforce.id}`,
        runs_url: `http://localhost/jobs?connection=${salesforce.id}`,
      }),
    ]);
  });

  it("says a completed job with failed records completed with them, so an agent does not call it a clean success", async () => {
    const quiet = await makeConnection(await makeCredential({ name: "Quiet" }), { name: "Quiet failures" });
    const at = NOW - 40 * DAY_MS;
    const run = await makeRun({ created_at: at, status: "completed", mode: "live", started_at: at, finished_at: at + 1_000 }, [
      { connection_id: quiet.id, connection_name: quiet.name, status: "completed", mode: "live", in_scope: 50, processed: 50, updated: 48, failed: 2 },
    ]);
    try {
      const client = await connect(viewer);
      const answer = parsed<{ jobs: Array<{ status: string; status_detail: string | null; failed_records: number }> }>(
        await client.callTool({ name: "get_job_status", arguments: { job_id: run.jobs[0]!.id, since: "60d" } }),
      );
      // A finished job has no estimate and is held back by nothing.
      expect(answer.jobs).toEqual([
        expect.objectContaining({ status: "completed", status_detail: "Completed with 2 failed records", failed_records: 2, eta: null, waiting: null }),
      ]);
    } finally {
      // The other questions count the fleet's connections: this one leaves with its test.
      await deleteConnection(env.LEDGER, quiet.id);
    }
  });

  it("shows a running job's time left and the destination breaker holding it back, as the API does", async () => {
    // A job of no stored connection, so the fleet the other questions count is unchanged.
    const at = NOW - 45 * DAY_MS;
    const finishAt = NOW + 10 * 60_000;
    const probeAt = NOW + 60_000;
    const run = await makeRun({ created_at: at, status: "running", mode: "live" }, [{ status: "running", in_scope: 100, processed: 40 }]);
    const jobId = run.jobs[0]!.id;
    await commit(env.LEDGER, [
      jobWaitingStatement(env.LEDGER, jobId, { host: "api.example.com", until: probeAt }),
      env.LEDGER.prepare("UPDATE jobs SET eta_finish_at = ?2 WHERE id = ?1").bind(jobId, finishAt),
    ]);

    const client = await connect(viewer);
    const answer = parsed<{ jobs: Array<{ status: string; eta: { remaining_ms: number; finish_at: string } | null; waiting: unknown }> }>(
      await client.callTool({ name: "get_job_status", arguments: { job_id: jobId, since: "60d" } }),
    );
    expect(answer.jobs).toEqual([
      expect.objectContaining({
        status: "running",
        eta: { remaining_ms: expect.any(Number), finish_at: new Date(finishAt).toISOString() },
        waiting: {
          host: "api.example.com",
          next_probe_at: new Date(probeAt).toISOString(),
          reason: `Paused: destination api.example.com is failing; next probe at ${new Date(probeAt).toISOString()}`,
        },
      }),
    ]);
    expect(answer.jobs[0]!.eta!.remaining_ms).toBeGreaterThan(0);
  });

  it('answers "What\'s the average sync duration for the Salesforce connection this week?"', async () => {
    const client = await connect(viewer);
    const viaJobs = parsed<{
      filters: { connections: Array<{ name: string }> };
      summary: { completed_durations: { count: number; average_ms: number; average: string } };
    }>(await client.callTool({ name: "get_job_status", arguments: { connection: "salesforce", since: "7d", status: "succeeded" } }));
    expect(viaJobs.filters.connections.map((c) => c.name)).toEqual(["Salesforce → Snowflake"]);
    expect(viaJobs.summary.completed_durations).toMatchObject({ count: 3, average_ms: 90_000, average: "1m 30s" });

    const dryOnly = parsed<{ summary: { matching_jobs: number }; jobs: Array<{ mode: string }> }>(
      await client.callTool({ name: "get_job_status", arguments: { connection: "salesforce", since: "7d", mode: "dry" } }),
    );
    expect(dryOnly.summary.matching_jobs).toBe(1);
    expect(dryOnly.jobs.map((j) => j.mode)).toEqual(["dry"]);

    const viaConnections = parsed<{ connections: Array<{ name: string; average_duration_ms: number; completed_in_window: number }> }>(
      await client.callTool({ name: "list_connections", arguments: { name: "SALESFORCE", since: "7d" } }),
    );
    expect(viaConnections.connections).toEqual([
      expect.objectContaining({ name: "Salesforce → Snowflake", average_duration_ms: 90_000, completed_in_window: 3 }),
    ]);
  });

  it('answers "Which connections haven\'t synced successfully in the last 3 days?"', async () => {
    const client = await connect(viewer);
    const answer = parsed<{ count: number; connections: Array<{ name: string; last_status: string | null; last_success_at: string }> }>(
      await client.callTool({ name: "list_connections", arguments: { no_success_since: "3d" } }),
    );
    expect(answer.connections.map((c) => c.name)).toEqual(["Zendesk tickets"]);
    expect(answer.connections[0]?.last_success_at).toBe(new Date(NOW - 4 * DAY_MS + 5_000).toISOString());
  });

  it('answers "Which scheduled connections are late?" with each one\'s freshness', async () => {
    // Zendesk runs hourly with a 60-minute SLA since long before its last live success, 4 days ago.
    await env.LEDGER.prepare("UPDATE connections SET schedule = '0 * * * *', freshness_sla_minutes = 60, freshness_since = ?2 WHERE name = ?1")
      .bind("Zendesk tickets", NOW - 10 * DAY_MS)
      .run();
    const client = await connect(viewer);
    const answer = parsed<{ connections: Array<{ name: string; freshness: unknown }> }>(await client.callTool({ name: "list_connections", arguments: {} }));
    expect(Object.fromEntries(answer.connections.map((c) => [c.name, c.freshness]))).toEqual({
      "Salesforce → Snowflake": null,
      "HubSpot Production": null,
      "Zendesk tickets": {
        state: "overdue",
        last_success_at: new Date(NOW - 4 * DAY_MS + 5_000).toISOString(),
        expected_by: new Date(NOW - 4 * DAY_MS + 5_000 + HOUR_MS).toISOString(),
        overdue_at: new Date(NOW - 4 * DAY_MS + 5_000 + 2 * HOUR_MS).toISOString(),
        sla_minutes: 60,
      },
    });

    // Paused after failing too often, it is skipped by the scheduler: no success is expected, so it is not late.
    await env.LEDGER.prepare("UPDATE connections SET paused_at = ?2, paused_reason = 'Failed 10 runs in a row' WHERE name = ?1")
      .bind("Zendesk tickets", NOW)
      .run();
    const paused = parsed<{ connections: Array<{ name: string; freshness: unknown }> }>(await client.callTool({ name: "list_connections", arguments: {} }));
    expect(paused.connections.find((c) => c.name === "Zendesk tickets")?.freshness).toBeNull();
    await env.LEDGER.prepare("UPDATE connections SET paused_at = NULL, paused_reason = NULL WHERE name = ?1").bind("Zendesk tickets").run();
  });

  it('answers "Are my alerts getting through?" with each channel\'s state, its last success and failure, and what waits to be delivered', async () => {
    const channel = async (name: string, health: { success?: number; failure?: number; failingSince?: number; enabled?: boolean }) => {
      const created = await createChannel({ name, kind: "webhook", url: "https://hooks.example.com/outbound" });
      await env.LEDGER.prepare(
        "UPDATE alert_channels SET last_success_at = ?2, last_failure_at = ?3, failing_since = ?4, enabled = ?5, disabled_reason = ?6 WHERE id = ?1",
      )
        .bind(
          created.id,
          health.success ?? null,
          health.failure ?? null,
          health.failingSince ?? null,
          health.enabled === false ? 0 : 1,
          health.enabled === false ? "410 Gone" : null,
        )
        .run();
      return created.id;
    };
    const healthy = await channel("Ops Slack", { success: NOW - HOUR_MS });
    const failing = await channel("On-call webhook", { success: NOW - DAY_MS, failure: NOW - 60_000, failingSince: NOW - 2 * HOUR_MS });
    const disabled = await channel("Old receiver", { failure: NOW - DAY_MS, enabled: false });
    const fresh = await channel("New email", {});
    for (const [i, status] of (["pending", "pending", "succeeded"] as const).entries()) {
      await env.LEDGER.prepare(
        "INSERT INTO deliveries (id, event_id, channel_id, webhook_id, status, created_at, updated_at, run_id, event_seq) VALUES (?1, ?2, ?3, ?1, ?4, ?5, ?5, 'run_x', ?6)",
      )
        .bind(`dlv_mcp_${i}`, `evt_mcp_${i}`, failing, status, NOW, i)
        .run();
    }

    const client = await connect(viewer);
    type Channels = {
      channels: Array<{ id: string; state: string; pending_deliveries: number; failing_since: string | null; disabled_reason: string | null }>;
    };
    const mine = (answer: Channels) => answer.channels.filter((c) => [healthy, failing, disabled, fresh].includes(c.id));
    const all = mine(parsed<Channels>(await client.callTool({ name: "list_alert_channels", arguments: {} })));
    expect(Object.fromEntries(all.map((c) => [c.id, [c.state, c.pending_deliveries]]))).toEqual({
      [healthy]: ["ok", 0],
      [failing]: ["failing", 2],
      [disabled]: ["disabled", 0],
      [fresh]: ["untested", 0],
    });
    expect(all.find((c) => c.id === failing)!.failing_since).toBe(new Date(NOW - 2 * HOUR_MS).toISOString());
    expect(all.find((c) => c.id === disabled)!.disabled_reason).toBe("410 Gone");
    // No secret, signing key or receiver URL is in the answer.
    expect(JSON.stringify(all)).not.toContain("hooks.example.com");

    const broken = mine(parsed<Channels>(await client.callTool({ name: "list_alert_channels", arguments: { failing_only: true } })));
    expect(broken.map((c) => c.id).sort()).toEqual([failing, disabled].sort());
  });

  it("turns bad arguments into an error result the agent can read, and keeps serving", async () => {
    const client = await connect(viewer);
    const wrongType = (await client.callTool({ name: "get_job_status", arguments: { limit: "lots" } })) as TextResult;
    expect(wrongType.isError).toBe(true);
    expect(wrongType.content[0]?.text).toContain("limit");

    const badTime = (await client.callTool({ name: "get_job_status", arguments: { since: "since forever" } })) as TextResult;
    expect(badTime.isError).toBe(true);
    expect(badTime.content[0]?.text).toMatch(/^since: "since forever" is not .*"24h"/);

    const unknown = (await client.callTool({ name: "list_connections", arguments: { name: "no such pipeline" } })) as TextResult;
    expect(unknown.isError).toBe(true);
    expect(unknown.content[0]?.text).toContain("Salesforce → Snowflake");

    const noTool = (await client.callTool({ name: "delete_everything", arguments: {} })) as TextResult;
    expect(noTool.isError).toBe(true);

    const stillFine = parsed<{ count: number }>(await client.callTool({ name: "list_connections", arguments: {} }));
    expect(stillFine.count).toBe(3);
  });

  it("answers malformed JSON-RPC with a JSON-RPC error, not a crash", async () => {
    const headers = {
      Authorization: `Bearer ${viewer}`,
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
    };
    const garbage = await worker.fetch("http://localhost/mcp", { method: "POST", headers, body: "{not json" });
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 } });

    const unknownMethod = await worker.fetch("http://localhost/mcp", {
      method: "POST",
      headers: { ...headers, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/destroy", params: {} }),
    });
    expect(await unknownMethod.json()).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32601 } });

    const get = await worker.fetch("http://localhost/mcp", { headers: { Authorization: `Bearer ${viewer}`, Accept: "text/event-stream" } });
    expect(get.status).toBe(405);
  });

  it("refuses a client without a valid token with 401", async () => {
    await expect(connect(null)).rejects.toMatchObject({ code: 401, message: expect.stringContaining("unauthorized") });
    const res = await worker.fetch("http://localhost/mcp", {
      method: "POST",
      headers: {
        Authorization: "Bearer osk_v_00000000000000000000000000000000",
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
  });

  it("lists which serials of a job failed and why, page by page, with the job's dashboard page", async () => {
    // Two months old: outside every time range the other questions ask about.
    const failed = await job(salesforce, "completed", 60 * DAY_MS, 2_000);
    await setJobArchiveDay(env.LEDGER, failed.id, archiveDay(failed.created_at));
    await archiveOutcomes(failed, [
      { serial: "SF-001", action: "updated", changes: [{ field: "status", before: "idle", after: "active", written: true }], http_status: 200 },
      { serial: "SF-002", action: "failed", http_status: 422, error: "422 Unprocessable Entity: status is not allowed" },
      { serial: "SF-003", action: "failed", http_status: 422, error: "422 Unprocessable Entity: status is not allowed" },
    ]);
    const client = await connect(viewer);
    const call = (args: Record<string, unknown>) => client.callTool({ name: "list_job_records", arguments: { job_id: failed.id, ...args } });
    type Page = {
      job_url: string;
      records: Array<{ serial: string; action: string; error: string | null; http_status: number | null }>;
      next_cursor: string | null;
    };

    const first = parsed<Page>(await call({ action: "failed", limit: 1 }));
    expect(first.job_url).toBe(`http://localhost/jobs/${failed.id}`);
    expect(first.records).toEqual([
      expect.objectContaining({ serial: "SF-002", action: "failed", http_status: 422, error: "422 Unprocessable Entity: status is not allowed" }),
    ]);
    const second = parsed<Page>(await call({ action: "failed", limit: 1, cursor: first.next_cursor }));
    expect(second.records.map((record) => record.serial)).toEqual(["SF-003"]);
    expect(parsed<Page>(await call({ serial: "SF-00" })).records.map((record) => record.action)).toEqual(["updated", "failed", "failed"]);

    const unknown = (await client.callTool({ name: "list_job_records", arguments: { job_id: "job_unknown" } })) as TextResult;
    expect(unknown.isError).toBe(true);
    expect(unknown.content[0]?.text).toContain('No job has the id "job_unknown"');
  });

  it('answers "Which devices are failing on the Salesforce connection right now?" with each serial\'s latest outcome', async () => {
    const kept = await job(salesforce, "completed", 50 * DAY_MS, 2_000);
    await env.LEDGER.prepare(
      `INSERT INTO latest_outcomes (connection_id, serial, action, job_id, run_id, at)
       VALUES (?1, 'SF-101', 'failed', ?2, ?3, ?4), (?1, 'SF-102', 'failed', 'job_purged', 'run_purged', ?4),
              (?1, 'SF-103', 'skipped_no_change', ?2, ?3, ?4), (?1, 'SF-104', 'failed', ?2, ?3, ?4)`,
    )
      .bind(salesforce.id, kept.id, kept.run_id, NOW - 50 * DAY_MS)
      .run();
    const client = await connect(viewer);
    const call = (args: Record<string, unknown>) => client.callTool({ name: "list_connection_serials", arguments: { connection_id: salesforce.id, ...args } });
    type Page = {
      connection_name: string;
      connection_url: string;
      counts: Record<string, number>;
      serials: Array<{ serial: string; action: string; since: string; mode: string | null; job_id: string | null }>;
      next_cursor: string | null;
    };

    const first = parsed<Page>(await call({ action: "failed", limit: 2 }));
    expect(first.connection_name).toBe("Salesforce → Snowflake");
    expect(first.connection_url).toBe(`http://localhost/connections/${salesforce.id}`);
    expect(first.counts).toEqual({ failed: 3, skipped_no_change: 1 });
    expect(first.serials).toEqual([
      { serial: "SF-101", action: "failed", since: new Date(NOW - 50 * DAY_MS).toISOString(), mode: "live", job_id: kept.id },
      { serial: "SF-102", action: "failed", since: new Date(NOW - 50 * DAY_MS).toISOString(), mode: null, job_id: null },
    ]);
    const second = parsed<Page>(await call({ action: "failed", limit: 2, cursor: first.next_cursor }));
    expect(second.serials.map((s) => s.serial)).toEqual(["SF-104"]);
    expect(second.next_cursor).toBeNull();

    const unknown = (await client.callTool({ name: "list_connection_serials", arguments: { connection_id: "conn_unknown" } })) as TextResult;
    expect(unknown.isError).toBe(true);
    expect(unknown.content[0]?.text).toContain('No connection has the id "conn_unknown"');
  });

  it('answers "Why did device SF-101 not update?" with the serial on every connection that decided it', async () => {
    const client = await connect(viewer);
    type Status = {
      serial: string;
      runs_url: string;
      connections: Array<{ connection_name: string; action: string; job_id: string | null; connection_url: string }>;
    };
    // SF-101's outcome on the Salesforce connection was written by the test above.
    const status = parsed<Status>(await client.callTool({ name: "get_serial_status", arguments: { serial: "SF-101" } }));
    expect(status.runs_url).toBe("http://localhost/jobs?serial=SF-101");
    expect(status.connections).toEqual([
      expect.objectContaining({ connection_name: "Salesforce → Snowflake", action: "failed", connection_url: `http://localhost/connections/${salesforce.id}` }),
    ]);
    expect(parsed<Status>(await client.callTool({ name: "get_serial_status", arguments: { serial: "SF-999" } })).connections).toEqual([]);
  });
});
