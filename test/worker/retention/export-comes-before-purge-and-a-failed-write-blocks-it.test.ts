import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { readLogExport } from "../../../worker/ledger/log-exports";
import { listPasses } from "../../../worker/ledger/retention";
import { gunzipText } from "../../../worker/retention/ndjson-gzip";
import { runRetention } from "../../../worker/retention/retention-pass";
import { DAY_MS } from "../../../worker/stats/time-range";
import { bucketTarget, clearHistory, countHistory, makeHistory, makeS3Export, setPlan } from "../factories";

const NOW = Date.UTC(2026, 10, 22, 3, 17);
const OLD_DAY_1 = Date.UTC(2026, 9, 20, 8);
const OLD_DAY_2 = Date.UTC(2026, 9, 21, 9);
const YESTERDAY = Date.UTC(2026, 10, 21, 10);

const bucket = () => env.LOG_EXPORT!;

async function readNdjson(key: string): Promise<Array<Record<string, unknown>>> {
  const object = await bucket().get(key);
  expect(object, key).not.toBeNull();
  const text = await gunzipText(new Uint8Array(await object!.arrayBuffer()));
  return text
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function jobIdsInD1(): Promise<string[]> {
  const { results } = await env.LEDGER.prepare("SELECT id FROM jobs ORDER BY created_at").all<{ id: string }>();
  return results.map((r) => r.id);
}

beforeEach(async () => {
  await clearHistory();
  await setPlan({ plan: "professional" });
  const listed = await bucket().list();
  for (const object of listed.objects) await bucket().delete(object.key);
});

describe("log export before purge", () => {
  it("writes each finished day's jobs and logs as gzipped NDJSON, then purges only exported days", async () => {
    const first = await makeHistory(OLD_DAY_1, { logLines: 5 });
    const second = await makeHistory(OLD_DAY_1 + 3_600_000, { logLines: 2 });
    const third = await makeHistory(OLD_DAY_2, { logLines: 4 });
    const recent = await makeHistory(YESTERDAY, { logLines: 1 });
    const target = bucketTarget(bucket(), "exports/");

    const result = await runRetention(env, { now: () => NOW, mayStart: true, target, logsPerFile: 4, logsPageSize: 3 });
    expect(result.status).toBe("completed");
    expect(result.exportedDays).toEqual(["2026-10-20", "2026-10-21", "2026-11-21"]);

    const jobs = await readNdjson("exports/2026-10-20/jobs.ndjson.gz");
    expect(jobs.map((j) => j.job_id)).toEqual([first.job.id, second.job.id]);
    expect(jobs[0]).toMatchObject({ run_id: first.run.id, status: "completed", created_at: new Date(OLD_DAY_1).toISOString() });
    // 7 lines at 4 per file: two chunks, in job then sequence order.
    const chunk0 = await readNdjson("exports/2026-10-20/logs-000.ndjson.gz");
    const chunk1 = await readNdjson("exports/2026-10-20/logs-001.ndjson.gz");
    expect(chunk0).toHaveLength(4);
    expect(chunk1).toHaveLength(3);
    expect([...chunk0, ...chunk1].map((l) => `${l.job_id}#${l.seq}`)).toEqual([
      ...[1, 2, 3, 4, 5].map((s) => `${first.job.id}#${s}`),
      ...[1, 2].map((s) => `${second.job.id}#${s}`),
    ]);
    const manifest = JSON.parse(await (await bucket().get("exports/2026-10-20/manifest.json"))!.text()) as Record<string, unknown>;
    expect(manifest).toMatchObject({ format: "outbound-sync.log-export/v1", day: "2026-10-20", job_count: 2, log_count: 7 });

    expect((await readNdjson("exports/2026-10-21/jobs.ndjson.gz")).map((j) => j.job_id)).toEqual([third.job.id]);
    expect((await readNdjson("exports/2026-11-21/jobs.ndjson.gz")).map((j) => j.job_id)).toEqual([recent.job.id]);
    expect((await readLogExport(env.LEDGER, "2026-10-20"))?.status).toBe("succeeded");

    // Yesterday is exported but inside the window, so it stays.
    expect(await jobIdsInD1()).toEqual([recent.job.id]);
  });

  it("purges nothing from the day whose export failed, keeps later days, and catches up once the bucket works", async () => {
    const day1 = await makeHistory(OLD_DAY_1, { logLines: 3 });
    const day2 = await makeHistory(OLD_DAY_2, { logLines: 6 });
    const recent = await makeHistory(YESTERDAY, { logLines: 1 });
    let outage = true;
    const target = bucketTarget(bucket(), "exports/", (key) => outage && key === "exports/2026-10-21/logs-001.ndjson.gz");

    const failed = await runRetention(env, { now: () => NOW, mayStart: true, target, logsPerFile: 4 });
    expect(failed.status).toBe("failed");
    expect(failed.purgeBefore).toBe(Date.UTC(2026, 9, 21));
    expect(failed.error).toContain("simulated outage");
    expect(failed.deleted.jobs).toBe(1);
    expect(await jobIdsInD1()).toEqual([day2.job.id, recent.job.id]);
    const row = await readLogExport(env.LEDGER, "2026-10-21");
    expect(row).toMatchObject({ status: "failed" });
    expect(row?.error).toContain("logs-001");
    // The export stopped at the failure: yesterday was not attempted yet.
    expect(target.attempts.some((key) => key.startsWith("exports/2026-11-21/"))).toBe(false);
    expect((await listPasses(env.LEDGER, 1))[0]).toMatchObject({ status: "failed" });
    expect(day1.job.id).not.toBe(day2.job.id);

    outage = false;
    const retried = await runRetention(env, { now: () => NOW + 3_600_000, mayStart: true, target, logsPerFile: 4 });
    expect(retried.status).toBe("completed");
    // It resumed after the files already written: the jobs file and the first chunk were not written again.
    expect(target.attempts.filter((key) => key === "exports/2026-10-21/jobs.ndjson.gz")).toHaveLength(1);
    expect(target.attempts.filter((key) => key === "exports/2026-10-21/logs-000.ndjson.gz")).toHaveLength(1);
    const lines = [...(await readNdjson("exports/2026-10-21/logs-000.ndjson.gz")), ...(await readNdjson("exports/2026-10-21/logs-001.ndjson.gz"))];
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await jobIdsInD1()).toEqual([recent.job.id]);
  });

  it("writes to the R2 binding named in Settings", async () => {
    await makeHistory(OLD_DAY_1, { logLines: 2 });
    await setPlan({ plan: "professional" }, { target: "r2", bucket_binding: "LOG_EXPORT", prefix: "archive/" });

    const result = await runRetention(env, { now: () => NOW, mayStart: true });
    expect(result.status).toBe("completed");
    expect(await bucket().head("archive/2026-10-20/jobs.ndjson.gz")).not.toBeNull();
    expect((await countHistory()).jobs).toBe(0);
  });

  it("blocks the purge when the configured binding does not exist", async () => {
    await makeHistory(OLD_DAY_1, { logLines: 2 });
    await setPlan({ plan: "professional" }, { target: "r2", bucket_binding: "NO_SUCH_BUCKET", prefix: "archive/" });

    const result = await runRetention(env, { now: () => NOW, mayStart: true });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("No R2 bucket is bound as NO_SUCH_BUCKET");
    expect((await countHistory()).jobs).toBe(1);
  });

  it("signs S3 requests with the stored access key and treats a refused PUT as a failed export", async () => {
    await makeHistory(OLD_DAY_1, { logLines: 2 });
    await setPlan({ plan: "professional" }, await makeS3Export());
    const requests: Request[] = [];
    let refuse = true;
    const fakeS3: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      requests.push(request.clone());
      return refuse ? new Response("<Error><Code>AccessDenied</Code></Error>", { status: 403 }) : new Response(null, { status: 200 });
    };

    const refused = await runRetention(env, { now: () => NOW, mayStart: true, fetch: fakeS3 });
    expect(refused.status).toBe("failed");
    expect(refused.error).toContain("403 AccessDenied");
    expect((await countHistory()).jobs).toBe(1);

    refuse = false;
    requests.length = 0;
    const stored = await runRetention(env, { now: () => NOW + 60_000, mayStart: true, fetch: fakeS3 });
    expect(stored.status).toBe("completed");
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "PUT https://s3.eu-west-1.amazonaws.com/fleet-sync-logs/outbound-sync/2026-10-20/jobs.ndjson.gz",
      "PUT https://s3.eu-west-1.amazonaws.com/fleet-sync-logs/outbound-sync/2026-10-20/logs-000.ndjson.gz",
      "PUT https://s3.eu-west-1.amazonaws.com/fleet-sync-logs/outbound-sync/2026-10-20/manifest.json",
    ]);
    const auth = requests[0]!.headers.get("Authorization") ?? "";
    expect(auth).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/);
    const body = new Uint8Array(await requests[1]!.arrayBuffer());
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
    expect(requests[1]!.headers.get("x-amz-content-sha256")).toBe(Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""));
    const lines = await gunzipText(body);
    expect(lines.trim().split("\n")).toHaveLength(2);
    expect(JSON.stringify(requests.map((r) => [...r.headers]))).not.toContain("s3-secret-for-tests");
    expect((await countHistory()).jobs).toBe(0);
  });

  it("waits for a recent day's active jobs before exporting it, but never past the purge line", async () => {
    await makeHistory(YESTERDAY, { status: "running" });
    const target = bucketTarget(bucket(), "exports/");
    const result = await runRetention(env, { now: () => NOW, mayStart: true, target });
    expect(result.status).toBe("completed");
    expect(result.exportedDays).toEqual([]);
    expect(await readLogExport(env.LEDGER, "2026-11-21")).toBeNull();
    expect(NOW - YESTERDAY).toBeLessThan(DAY_MS);
  });
});
