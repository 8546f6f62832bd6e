import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { StatsResponse } from "../../../worker/schemas/stats";
import type { JobStatus } from "../../../worker/schemas/vocabulary";
import { PERCENTILE_TOLERANCE } from "../../../worker/stats/duration-histogram";
import { HOUR_MS, DAY_MS } from "../../../worker/stats/time-range";
import { type ConnectionFixture, makeConnection, makeCredential, makeRun, makeToken } from "../factories";

const worker = exports.default;
const NOW = Date.now();

type Durations = StatsResponse["durations"];

// Counts, averages, min and max are exact; percentiles may come from the hourly rollup's histogram.
function expectDurations(actual: Durations | undefined, exact: Durations): void {
  const { p50_ms, p95_ms, ...rest } = exact;
  expect(actual).toMatchObject(rest);
  for (const [key, value] of [
    ["p50_ms", p50_ms],
    ["p95_ms", p95_ms],
  ] as const) {
    const allowed = (value ?? 0) * PERCENTILE_TOLERANCE.relative + PERCENTILE_TOLERANCE.absoluteMs;
    expect(Math.abs((actual?.[key] ?? NaN) - (value ?? NaN)), `${key}: ${actual?.[key]} vs ${value}`).toBeLessThanOrEqual(allowed);
  }
}

async function makeFinishedJob(connection: ConnectionFixture, status: JobStatus, agoMs: number, durationMs: number | null, error?: string) {
  const createdAt = NOW - agoMs;
  const finished = status !== "running" && status !== "pending";
  // Live: since issue 13 only a completed live job counts as a success (a dry run writes nothing).
  const run = await makeRun(
    {
      created_at: createdAt,
      mode: "live",
      status,
      started_at: createdAt,
      finished_at: finished ? createdAt + (durationMs ?? 0) : null,
    },
    [
      {
        connection_id: connection.id,
        connection_name: connection.name,
        status,
        duration_ms: finished ? durationMs : null,
        finished_at: finished ? createdAt + (durationMs ?? 0) : null,
        ...(error ? { error_code: "http_401", error_http_status: 401, error_message: error, error_hint: "check the credential" } : {}),
      },
    ],
  );
  return run.jobs[0]!;
}

let viewer = "";
let salesforce: ConnectionFixture;
let hubspot: ConnectionFixture;
let zendesk: ConnectionFixture;
let jira: ConnectionFixture;
let newestFailureId = "";

beforeAll(async () => {
  viewer = (await makeToken("viewer")).token;
  const credential = await makeCredential({ name: "Fleet" });
  salesforce = await makeConnection(credential, { name: "Salesforce → Snowflake", position: 1 });
  hubspot = await makeConnection(credential, { name: "HubSpot Production", position: 2 });
  zendesk = await makeConnection(credential, { name: "Zendesk", position: 3 });
  jira = await makeConnection(credential, { name: "Jira", position: 4, enabled: false });

  // Salesforce in the last 24 h: five completed (1, 2, 3, 4, 10 s), one failed, one canceled.
  for (const [i, ms] of [1_000, 2_000, 3_000, 4_000, 10_000].entries()) await makeFinishedJob(salesforce, "completed", (i + 2) * HOUR_MS, ms);
  await makeFinishedJob(salesforce, "failed", 8 * HOUR_MS, 500, "401 Unauthorized");
  await makeFinishedJob(salesforce, "canceled", 9 * HOUR_MS, 50);
  // Outside the window: must not move any figure.
  await makeFinishedJob(salesforce, "completed", 2 * DAY_MS, 99_999);
  // HubSpot: two completed (0.6 s, 0.8 s), two failed, one still running.
  await makeFinishedJob(hubspot, "completed", 3 * HOUR_MS, 600);
  await makeFinishedJob(hubspot, "completed", 4 * HOUR_MS, 800);
  await makeFinishedJob(hubspot, "failed", 5 * HOUR_MS, 100, "token expired");
  newestFailureId = (await makeFinishedJob(hubspot, "failed", 1 * HOUR_MS, 100, "token expired again")).id;
  await makeFinishedJob(hubspot, "running", 30 * 60_000, null);
  // Zendesk never succeeded; Jira last succeeded five days ago.
  await makeFinishedJob(zendesk, "failed", 6 * HOUR_MS, 200, "405 Method Not Allowed");
  await makeFinishedJob(jira, "completed", 5 * DAY_MS, 700);
});

async function getStats(query = ""): Promise<{ status: number; body: StatsResponse }> {
  const res = await worker.fetch(`http://localhost/api/stats${query}`, { headers: { Authorization: `Bearer ${viewer}` } });
  return { status: res.status, body: await res.json<StatsResponse>() };
}

describe("GET /api/stats", () => {
  it("counts the last 24 hours' jobs by status with the success rate of finished ones", async () => {
    const { status, body } = await getStats();
    expect(status).toBe(200);
    expect(body.jobs.by_status).toEqual({ pending: 0, running: 1, completed: 7, failed: 4, canceled: 1 });
    expect(body.jobs.total).toBe(13);
    expect(body.jobs.success_rate).toBe(0.6364); // 7 / 11
    expect(body.runs.total).toBe(13);
    expect(body.failures.count).toBe(4);
    expect(body.failures.recent[0]).toMatchObject({
      job_id: newestFailureId,
      connection_name: "HubSpot Production",
      error: { code: "http_401", http_status: 401, message: "token expired again", hint: "check the credential" },
    });
  });

  it("gives exact averages and nearest-rank p50/p95 within the documented tolerance, overall and per connection", async () => {
    const { body } = await getStats();
    // Sorted: 600, 800, 1000, 2000, 3000, 4000, 10000 → p50 rank 4, p95 rank 7, mean 21400 / 7.
    expectDurations(body.durations, { completed_jobs: 7, average_ms: 3057, p50_ms: 2000, p95_ms: 10_000, min_ms: 600, max_ms: 10_000 });

    const byName = new Map(body.connections.map((c) => [c.name, c]));
    expectDurations(byName.get("Salesforce → Snowflake")?.durations, {
      completed_jobs: 5,
      average_ms: 4000,
      p50_ms: 3000,
      p95_ms: 10_000,
      min_ms: 1000,
      max_ms: 10_000,
    });
    expect(byName.get("Salesforce → Snowflake")?.jobs.success_rate).toBe(0.8333);
    expectDurations(byName.get("HubSpot Production")?.durations, {
      completed_jobs: 2,
      average_ms: 700,
      p50_ms: 600,
      p95_ms: 800,
      min_ms: 600,
      max_ms: 800,
    });
    expect(byName.get("HubSpot Production")?.jobs.success_rate).toBe(0.5);
    expect(byName.get("Zendesk")?.durations.average_ms).toBeNull();
    expect(body.connections.map((c) => c.name)).toEqual(["Salesforce → Snowflake", "HubSpot Production", "Zendesk", "Jira"]);
  });

  it("lists connections without a successful job since a time, never-succeeded first", async () => {
    const { body } = await getStats();
    expect(body.without_success.connections.map((c) => c.name)).toEqual(["Zendesk", "Jira"]);
    expect(body.without_success.connections[0]?.last_success_at).toBeNull();
    expect(body.without_success.connections[1]?.last_success_at).toBe(new Date(NOW - 5 * DAY_MS + 700).toISOString());

    const sinceAWeek = await getStats("?no_success_since=7d");
    expect(sinceAWeek.body.without_success.connections.map((c) => c.name)).toEqual(["Zendesk"]);
  });

  it("widens the window on request and returns each connection's newest jobs for a sparkline", async () => {
    const { body } = await getStats("?since=3d&recent_per_connection=3");
    const salesforceStats = body.connections.find((c) => c.id === salesforce.id);
    expect(salesforceStats?.jobs.by_status.completed).toBe(6);
    expect(salesforceStats?.durations.max_ms).toBe(99_999);
    expect(salesforceStats?.recent_jobs.map((j) => j.duration_ms)).toEqual([1_000, 2_000, 3_000]);
    expect(body.connections.find((c) => c.id === hubspot.id)?.recent_jobs[0]?.status).toBe("running");
    expect(body.connections.find((c) => c.id === zendesk.id)?.recent_jobs).toHaveLength(1);
    expect(jira.enabled).toBe(false);
  });

  it("answers a window it cannot read with 400 naming the parameter", async () => {
    const bad = await worker.fetch("http://localhost/api/stats?since=last%20tuesday", { headers: { Authorization: `Bearer ${viewer}` } });
    expect(bad.status).toBe(400);
    const body = await bad.json<{ error: { code: string; details: Array<{ path: string }> } }>();
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details[0]?.path).toBe("since");

    const reversed = await worker.fetch("http://localhost/api/stats?since=1h&until=2d", { headers: { Authorization: `Bearer ${viewer}` } });
    expect(reversed.status).toBe(400);
  });

  it("needs a token", async () => {
    const res = await worker.fetch("http://localhost/api/stats");
    expect(res.status).toBe(401);
  });
});
