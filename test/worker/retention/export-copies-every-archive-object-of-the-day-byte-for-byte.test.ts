import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { outcomeChunkKey } from "../../../worker/archive/archive-keys";
import { readLogExport } from "../../../worker/ledger/log-exports";
import { gunzipText } from "../../../worker/retention/ndjson-gzip";
import { runRetention, type RetentionResult } from "../../../worker/retention/retention-pass";
import {
  bucketTarget,
  bytesOf,
  clearHistory,
  emptyBucket,
  exportedArchiveKey,
  listKeys,
  makeArchivedHistory,
  makeHistory,
  makeS3Export,
  s3Loopback,
  setPlan,
  steppingClock,
} from "../factories";

const NOW = Date.UTC(2026, 10, 22, 3, 17);
const OLD_DAY_1 = Date.UTC(2026, 9, 20, 8);
const OLD_DAY_2 = Date.UTC(2026, 9, 21, 9);
const YESTERDAY = Date.UTC(2026, 10, 21, 10);

const archive = () => env.ARCHIVE;
const exports = () => env.LOG_EXPORT;

/** The archive's bytes per key, read before the pass purges the expired days. */
async function snapshot(keys: string[]): Promise<Map<string, Uint8Array>> {
  const bytes = new Map<string, Uint8Array>();
  for (const key of keys) bytes.set(key, (await bytesOf(archive(), key))!);
  return bytes;
}

async function ndjson(key: string): Promise<Array<Record<string, unknown>>> {
  const text = await gunzipText((await bytesOf(exports(), key))!);
  return text
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function untilDone(run: (first: boolean) => Promise<RetentionResult>): Promise<RetentionResult[]> {
  const results: RetentionResult[] = [];
  for (let i = 0; i < 200; i++) {
    results.push(await run(i === 0));
    if (results.at(-1)!.status !== "in_progress") return results;
  }
  throw new Error("the pass never finished");
}

beforeEach(async () => {
  await clearHistory();
  await setPlan({ plan: "professional" });
  await emptyBucket(archive());
  await emptyBucket(exports());
});

describe("the log export of an archived day", () => {
  // Five days of history and a dozen short invocations take seconds on a loaded machine.
  it("copies every archive object of each day as it is, a few per invocation, then writes the manifest and purges", { timeout: 30_000 }, async () => {
    const a = await makeArchivedHistory(OLD_DAY_1, { archiveObjects: 4 });
    const b = await makeArchivedHistory(OLD_DAY_1 + 3_600_000, { archiveObjects: 3 });
    // A day from before the archive: its log lines are D1 rows and still go out as NDJSON.
    const legacy = await makeHistory(OLD_DAY_2, { logLines: 5 });
    const c = await makeArchivedHistory(OLD_DAY_2 + 60_000, { archiveObjects: 2 });
    const recent = await makeArchivedHistory(YESTERDAY, { archiveObjects: 2 });
    const allKeys = [a, b, c, recent].flatMap((h) => h.archiveKeys);
    const before = await snapshot(allKeys);
    const target = bucketTarget(exports(), "exports/");
    const clock = steppingClock(NOW, 5);

    // Two keys per listing and a 100 ms budget at 5 ms per clock read: the copy spans invocations.
    const results = await untilDone((first) => runRetention(env, { now: clock, budgetMs: 100, mayStart: first, target, archiveBatch: 2 }));

    expect(results.at(-1)?.status).toBe("completed");
    expect(results.length).toBeGreaterThan(2);
    for (const key of allKeys) {
      const copy = exportedArchiveKey("exports/", key);
      expect(await bytesOf(exports(), copy), copy).toEqual(before.get(key));
      // Resumed from the saved cursor: no object was copied twice.
      expect(target.attempts.filter((k) => k === copy)).toHaveLength(1);
    }
    expect((await listKeys(exports(), "exports/2026-10-20/archive/")).sort()).toEqual(
      [...a.archiveKeys, ...b.archiveKeys].map((k) => exportedArchiveKey("exports/", k)).sort(),
    );

    // The small D1 part of the day is still written: its jobs, and the legacy day's log lines.
    expect((await ndjson("exports/2026-10-20/jobs.ndjson.gz")).map((j) => j.job_id)).toEqual([a.job.id, b.job.id]);
    expect(await exports().head("exports/2026-10-20/logs-000.ndjson.gz")).toBeNull();
    expect((await ndjson("exports/2026-10-21/jobs.ndjson.gz")).map((j) => j.job_id)).toEqual([legacy.job.id, c.job.id]);
    expect((await ndjson("exports/2026-10-21/logs-000.ndjson.gz")).map((l) => `${l.job_id}#${l.seq}`)).toEqual(
      [1, 2, 3, 4, 5].map((s) => `${legacy.job.id}#${s}`),
    );

    const day1Bytes = [...a.archiveKeys, ...b.archiveKeys].reduce((sum, key) => sum + before.get(key)!.byteLength, 0);
    const manifest = JSON.parse(await (await exports().get("exports/2026-10-20/manifest.json"))!.text()) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      day: "2026-10-20",
      job_count: 2,
      log_count: 0,
      archive: { prefix: "exports/2026-10-20/archive/", objects: 7, bytes: day1Bytes },
    });
    expect(await readLogExport(env.LEDGER, "2026-10-20")).toMatchObject({ status: "succeeded", archive_objects: 7, archive_bytes: day1Bytes });
    // The manifest is written last, once every object of its day is in place.
    const day1Writes = target.attempts.filter((k) => k.startsWith("exports/2026-10-20/"));
    expect(day1Writes.at(-1)).toBe("exports/2026-10-20/manifest.json");

    // Exported and past the window: purged from the archive. Yesterday is exported but kept.
    expect(await listKeys(archive())).toEqual(recent.archiveKeys);
    expect(await exports().head(exportedArchiveKey("exports/", recent.archiveKeys[0]!))).not.toBeNull();
  });

  it("streams the copy into the R2 bucket named in Settings with the object's type and metadata", async () => {
    const h = await makeArchivedHistory(OLD_DAY_1, { archiveObjects: 3 });
    const before = await snapshot(h.archiveKeys);
    await setPlan({ plan: "professional" }, { target: "r2", bucket_binding: "LOG_EXPORT", prefix: "from-settings/" });

    const result = await runRetention(env, { now: () => NOW, mayStart: true });

    expect(result.status).toBe("completed");
    for (const key of h.archiveKeys) {
      const copy = await exports().get(exportedArchiveKey("from-settings/", key));
      expect(new Uint8Array(await copy!.arrayBuffer())).toEqual(before.get(key));
      expect(copy!.httpMetadata?.contentType).toBe(key.endsWith("/index.json") ? "application/json" : "application/gzip");
      expect(copy!.customMetadata).toEqual({ job_id: h.job.id });
    }
    expect(await listKeys(archive())).toEqual([]);
  });

  it("PUTs each archive object to an S3-compatible endpoint with its length and signed MD5, byte for byte", async () => {
    const h = await makeArchivedHistory(OLD_DAY_1, { archiveObjects: 3 });
    // An object uploaded in parts has no MD5 in R2: it is read whole and its SHA-256 is signed instead.
    const multipartKey = outcomeChunkKey("2026-10-20", h.job.id, 99);
    const upload = await archive().createMultipartUpload(multipartKey);
    const multipartBytes = crypto.getRandomValues(new Uint8Array(300));
    await upload.complete([await upload.uploadPart(1, multipartBytes)]);
    const keys = [...h.archiveKeys, multipartKey];
    const before = await snapshot(keys);
    await setPlan({ plan: "professional" }, await makeS3Export());
    let refuse = true;
    const s3 = s3Loopback("fleet-sync-logs", (key) => refuse && key.includes("/archive/"));

    const refused = await runRetention(env, { now: () => NOW, mayStart: true, fetch: s3.fetch });
    expect(refused.status).toBe("failed");
    expect(refused.error).toContain("503 SlowDown");
    // Nothing of the day whose copy failed is purged, in D1 or in the archive.
    expect((await listKeys(archive())).sort()).toEqual(keys.sort());

    refuse = false;
    s3.requests.length = 0;
    s3.headers.length = 0;
    const stored = await runRetention(env, { now: () => NOW + 60_000, mayStart: true, fetch: s3.fetch });

    expect(stored.status).toBe("completed");
    for (const key of keys) expect(s3.objects.get(exportedArchiveKey("outbound-sync/", key)), key).toEqual(before.get(key));
    const streamed = s3.requests.findIndex((r) => r === `PUT ${exportedArchiveKey("outbound-sync/", h.archiveKeys[0]!)}`);
    const headers = s3.headers[streamed]!;
    expect(headers.get("x-amz-content-sha256")).toBe("UNSIGNED-PAYLOAD");
    expect(headers.get("content-md5")).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(headers.get("authorization")).toMatch(/SignedHeaders=[^,]*content-md5/);
    const read = s3.headers[s3.requests.indexOf(`PUT ${exportedArchiveKey("outbound-sync/", multipartKey)}`)]!;
    expect(read.get("x-amz-content-sha256")).toMatch(/^[0-9a-f]{64}$/);
    expect(s3.requests.at(-1)).toBe("PUT outbound-sync/2026-10-20/manifest.json");
    expect(await listKeys(archive())).toEqual([]);
  });
});
