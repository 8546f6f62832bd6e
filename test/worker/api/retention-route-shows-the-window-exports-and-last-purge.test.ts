import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { RetentionResponse } from "../../../worker/schemas/retention";
import { DAY_MS, startOfUtcDay } from "../../../worker/stats/time-range";
import { makeHistory, makeToken } from "../factories";

const worker = exports.default;
let viewer = "";
let admin = "";

async function call<T>(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await worker.fetch(`http://localhost${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json<T>() };
}

beforeAll(async () => {
  viewer = (await makeToken("viewer")).token;
  admin = (await makeToken("admin")).token;
  await makeHistory(Date.now() - 40 * DAY_MS, { logLines: 4 });
  await makeHistory(Date.now() - 35 * DAY_MS, { logLines: 2 });
  await makeHistory(Date.now() - 2 * DAY_MS, { logLines: 1 });
});

describe("/api/retention", () => {
  it("shows the plan's window and today's purge line to a viewer, before any pass ran", async () => {
    const { status, body } = await call<RetentionResponse>("GET", "/api/retention", viewer);
    expect(status).toBe(200);
    expect(body.policy).toEqual({
      plan: "professional",
      days: 30,
      cutoff: new Date(startOfUtcDay(Date.now()) - 30 * DAY_MS).toISOString(),
    });
    expect(body.log_export).toMatchObject({ target: "none", destination: null, days: [] });
    expect(body.passes).toEqual([]);
  });

  it("lets only an admin run the job now, then shows what the purge removed", async () => {
    expect((await call("POST", "/api/retention/run", viewer)).status).toBe(403);

    const ran = await call<{ status: string; deleted: Record<string, number> }>("POST", "/api/retention/run", admin);
    expect(ran.status).toBe(200);
    expect(ran.body.status).toBe("completed");
    expect(ran.body.deleted).toMatchObject({ runs: 2, jobs: 2, logs: 6, record_outcomes: 4, delivery_attempts: 4 });

    const { body } = await call<RetentionResponse>("GET", "/api/retention", viewer);
    expect(body.running_pass).toBeNull();
    expect(body.last_finished_pass).toMatchObject({ status: "completed", phase: "done", invocations: 1 });
    expect(body.last_finished_pass?.deleted).toMatchObject({ runs: 2, jobs: 2, logs: 6, events: 2, deliveries: 2, schedule_ticks: 2 });

    const again = await call<{ status: string }>("POST", "/api/retention/run", admin);
    expect(again.body.status).toBe("up_to_date");
  });

  it("reports the export target and each day's export once Settings turn export on", async () => {
    const put = await call("PUT", "/api/settings", admin, {
      retention: { plan: "custom", custom_days: 1 },
      log_export: { target: "r2", bucket_binding: "LOG_EXPORT", prefix: "exports/" },
    });
    expect(put.status).toBe(200);
    const ran = await call<{ status: string; exported_days: string[] }>("POST", "/api/retention/run", admin);
    expect(ran.body.status).toBe("completed");
    expect(ran.body.exported_days).toHaveLength(1);

    const { body } = await call<RetentionResponse>("GET", "/api/retention", viewer);
    expect(body.policy.days).toBe(1);
    expect(body.log_export).toMatchObject({
      target: "r2",
      destination: "r2:LOG_EXPORT/exports/",
      key_layout:
        "exports/YYYY-MM-DD/jobs.ndjson.gz, exports/YYYY-MM-DD/logs-NNN.ndjson.gz, exports/YYYY-MM-DD/archive/<job_id>/…, exports/YYYY-MM-DD/manifest.json",
      failing_day: null,
    });
    const [day] = body.log_export.days;
    expect(day).toMatchObject({ status: "succeeded", job_count: 1, log_count: 1, target: "r2:LOG_EXPORT/exports/" });
    expect(day?.object_keys).toHaveLength(3);
    expect(await env.LOG_EXPORT!.head(day!.object_keys[0]!)).not.toBeNull();
  });
});
