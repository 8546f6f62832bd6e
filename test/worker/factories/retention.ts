import { env } from "cloudflare:test";
import { encryptSecret, SECRET_BINDINGS } from "../../../worker/auth/secrets";
import { writeConfigSettings, type StoredLogExport } from "../../../worker/ledger/config-settings";
import type { RetentionSetting } from "../../../worker/schemas/settings";
import { newId } from "../../../worker/ledger/ids";
import type { RunStatus } from "../../../worker/schemas/vocabulary";
import type { ExportTarget } from "../../../worker/retention/export-target";
import { archiveDay, indexKey, logChunkKey, outcomeChunkKey } from "../../../worker/archive/archive-keys";
import { countBy, emptyIndex, type ArchiveIndex } from "../../../worker/archive/archive-index";
import { encodeLogs, encodeOutcomes, type ArchivedOutcome } from "../../../worker/archive/chunk-codec";
import { makeLogs, makeOutcomes, makeRun } from "./ledger";

// One "day of history": a run with a job, its logs and outcomes, an event with a delivery and two
// attempts, and a schedule tick, all stamped at `at`. Counting these rows tells what a purge removed.

export const HISTORY_TABLES = ["runs", "jobs", "logs", "record_outcomes", "events", "deliveries", "delivery_attempts", "schedule_ticks"] as const;
export type HistoryTable = (typeof HISTORY_TABLES)[number];

export interface HistoryOptions {
  logLines?: number;
  outcomes?: number;
  status?: RunStatus;
  /** Objects written to the R2 archive under jobs/<day>/<job_id>/, as a job after the archive keeps them. */
  archiveObjects?: number;
}

let counter = 0;

export async function makeHistory(at: number, options: HistoryOptions = {}) {
  const run = await makeRun({ created_at: at, status: options.status ?? "completed" }, [
    { connection_id: "conn_history", connection_name: "History connection" },
  ]);
  const job = run.jobs[0]!;
  const lines = options.logLines ?? 3;
  if (lines > 0) {
    await makeLogs(
      job,
      Array.from({ length: lines }, (_, i) => ({ level: "INFO" as const, message: `line ${i + 1} of ${job.id}` })),
    );
  }
  const outcomes = options.outcomes ?? 2;
  if (outcomes > 0) {
    await makeOutcomes(
      job,
      Array.from({ length: outcomes }, (_, i) => ({ serial: `SN-${i + 1}`, action: "would_update" as const })),
    );
  }
  const archiveKeys = await makeArchiveObjects(job, options.archiveObjects ?? 0);
  const eventId = newId("evt", at);
  const deliveryId = newId("dlv", at);
  await env.LEDGER.batch([
    // The ledger wrote an event per status change; a day of history here holds exactly one event (the
    // purge counts assert it), with a delivery and attempts the dispatcher would only make by sending,
    // and a started tick, all in this one batch so seeding a backlog stays within the test timeout.
    env.LEDGER.prepare("DELETE FROM events WHERE run_id = ?1").bind(run.id),
    env.LEDGER.prepare(
      `INSERT INTO events (id, type, run_id, job_id, connection_id, payload_json, created_at, dispatched_at)
       VALUES (?1, 'job.status_changed', ?2, ?3, 'conn_history', '{}', ?4, ?4)`,
    ).bind(eventId, run.id, job.id, at),
    env.LEDGER.prepare(
      `INSERT INTO deliveries (id, event_id, channel_id, webhook_id, status, attempt_count, created_at, updated_at)
       VALUES (?1, ?2, 'chan_history', ?3, 'succeeded', 2, ?4, ?4)`,
    ).bind(deliveryId, eventId, `msg_${deliveryId}`, at),
    env.LEDGER.prepare(
      `INSERT INTO delivery_attempts (delivery_id, attempt, attempted_at, status_code, duration_ms)
       VALUES (?1, 1, ?2, 500, 12), (?1, 2, ?2, 200, 9)`,
    ).bind(deliveryId, at),
    env.LEDGER.prepare(`INSERT INTO schedule_ticks (connection_id, due_at, outcome, run_id, recorded_at) VALUES (?1, ?2, 'started', ?3, ?2)`).bind(
      `conn_tick_${++counter}`,
      at,
      run.id,
    ),
  ]);
  return { run, job, archiveKeys };
}

/** A job of the archive era: its outcomes and log lines are R2 objects, not D1 rows. */
export async function makeArchivedHistory(at: number, options: Omit<HistoryOptions, "logLines" | "outcomes"> = {}) {
  return makeHistory(at, { ...options, logLines: 0, outcomes: 0, archiveObjects: options.archiveObjects ?? 3 });
}

/**
 * Writes `count` objects of a job's archive in the shared format (worker/archive/): its index.json, then
 * outcome and log chunks in turn. Chunks hold different serials and sizes, so a copy that drops, truncates or
 * swaps one shows. Returns the keys in listing order.
 */
export async function makeArchiveObjects(job: { id: string; run_id: string; created_at: number }, count: number): Promise<string[]> {
  if (count === 0) return [];
  const day = archiveDay(job.created_at);
  const index: ArchiveIndex = { ...emptyIndex(job.id, job.run_id, day), sealed: true };
  const writes: Array<{ key: string; body: Uint8Array; contentType: string }> = [];
  for (let i = 1; i < count; i++) {
    const chunk = Math.ceil(i / 2);
    if (i % 2 === 1) {
      const outcomes: ArchivedOutcome[] = Array.from({ length: 3 + chunk * 5 }, (_, n) => ({
        serial: `SN-${String(chunk * 1_000 + n).padStart(6, "0")}`,
        action: n % 4 === 0 ? "failed" : "skipped_no_change",
        changes: null,
        differences: null,
        http_status: n % 4 === 0 ? 500 : null,
        payload_excerpt: null,
        error: n % 4 === 0 ? `destination answered 500 for ${job.id}` : null,
        at: job.created_at + n,
      }));
      const body = await encodeOutcomes(outcomes);
      const key = outcomeChunkKey(day, job.id, chunk);
      const serials = outcomes.map((o) => o.serial);
      index.outcomes.push({
        chunk,
        key,
        count: outcomes.length,
        first: serials[0]!,
        last: serials.at(-1)!,
        actions: countBy(outcomes.map((o) => o.action)),
        bytes: body.byteLength,
      });
      writes.push({ key, body, contentType: "application/gzip" });
    } else {
      const first = (chunk - 1) * 10 + 1;
      const logs = Array.from({ length: 10 }, (_, n) => ({
        seq: first + n,
        at: job.created_at + n,
        level: "INFO" as const,
        message: `line ${first + n} of ${job.id}`,
        serial: null,
      }));
      const body = await encodeLogs(logs);
      const key = logChunkKey(day, job.id, chunk);
      index.logs.push({ chunk, key, count: logs.length, first_seq: first, last_seq: first + 9, levels: { INFO: logs.length }, bytes: body.byteLength });
      writes.push({ key, body, contentType: "application/gzip" });
    }
  }
  writes.push({ key: indexKey(day, job.id), body: new TextEncoder().encode(JSON.stringify(index)), contentType: "application/json" });
  await Promise.all(writes.map((w) => env.ARCHIVE.put(w.key, w.body, { httpMetadata: { contentType: w.contentType }, customMetadata: { job_id: job.id } })));
  return writes.map((w) => w.key).sort();
}

/** Where the log export puts an archive object: `<prefix><day>/archive/<job_id>/<object>`. */
export function exportedArchiveKey(prefix: string, archiveKey: string): string {
  const [, day, ...rest] = archiveKey.split("/");
  return `${prefix}${day}/archive/${rest.join("/")}`;
}

/** Every key under the prefix, in key order. */
export async function listKeys(bucket: R2Bucket, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    if (!page.truncated) return keys;
    cursor = page.cursor;
  }
}

export async function emptyBucket(bucket: R2Bucket): Promise<void> {
  const keys = await listKeys(bucket);
  for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
}

export async function bytesOf(bucket: R2Bucket, key: string): Promise<Uint8Array | null> {
  const object = await bucket.get(key);
  return object === null ? null : new Uint8Array(await object.arrayBuffer());
}

export type TableCounts = Record<HistoryTable, number>;

export async function countHistory(): Promise<TableCounts> {
  const results = await env.LEDGER.batch<{ n: number }>(HISTORY_TABLES.map((table) => env.LEDGER.prepare(`SELECT COUNT(*) AS n FROM ${table}`)));
  return Object.fromEntries(HISTORY_TABLES.map((table, i) => [table, results[i]?.results[0]?.n ?? 0])) as TableCounts;
}

/** Tables of this test file only: each file has its own D1, shared by its tests. */
export async function clearHistory(): Promise<void> {
  await env.LEDGER.batch(
    [...HISTORY_TABLES, "retention_passes", "log_exports", "settings", "connections", "credentials"].map((table) => env.LEDGER.prepare(`DELETE FROM ${table}`)),
  );
}

export async function setPlan(retention: RetentionSetting, logExport?: StoredLogExport): Promise<void> {
  await writeConfigSettings(env.LEDGER, { retention, ...(logExport ? { logExport } : {}) }, Date.now());
}

/** A clock that moves `stepMs` every time it is read, so a small budget runs out after a few statements. */
export function steppingClock(start: number, stepMs: number): () => number {
  let t = start;
  return () => (t += stepMs);
}

export interface RecordingTarget extends ExportTarget {
  written: Map<string, Uint8Array>;
  attempts: string[];
}

/** Writes into the test's R2 bucket; `failWhen` makes chosen writes throw the way an unreachable bucket would. */
export function bucketTarget(bucket: R2Bucket, prefix = "exports/", failWhen: (key: string) => boolean = () => false): RecordingTarget {
  const written = new Map<string, Uint8Array>();
  const attempts: string[] = [];
  return {
    label: `r2:TEST/${prefix}`,
    prefix,
    written,
    attempts,
    async put(key, body, contentType) {
      attempts.push(key);
      if (failWhen(key)) throw new Error(`R2 put ${key}: simulated outage (503)`);
      await bucket.put(key, body, { httpMetadata: { contentType } });
      written.set(key, body);
    },
    async copy(key, object) {
      attempts.push(key);
      if (failWhen(key)) throw new Error(`R2 put ${key}: simulated outage (503)`);
      const body = new Uint8Array(await object.arrayBuffer());
      await bucket.put(key, body, { httpMetadata: object.httpMetadata ?? {} });
      written.set(key, body);
    },
  };
}

export interface S3Loopback {
  fetch: typeof fetch;
  /** Stored bodies by object key (the path after the bucket). */
  objects: Map<string, Uint8Array>;
  /** "PUT <key>" per request, in order. */
  requests: string[];
  /** Headers of each request, in order. */
  headers: Headers[];
}

/**
 * An S3-compatible endpoint in front of the test: it stores PUT bodies and checks them the way S3 does, against
 * Content-MD5 when sent and against a signed payload hash unless it is UNSIGNED-PAYLOAD. `refuse` answers 503.
 */
export function s3Loopback(bucket: string, refuse: (key: string) => boolean = () => false): S3Loopback {
  const objects = new Map<string, Uint8Array>();
  const requests: string[] = [];
  const headers: Headers[] = [];
  const hex = (buffer: ArrayBuffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  const answer = (status: number, code: string) => new Response(`<Error><Code>${code}</Code></Error>`, { status });
  const fetcher: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const path = decodeURIComponent(new URL(request.url).pathname);
    const key = path.slice(`/${bucket}/`.length);
    requests.push(`${request.method} ${key}`);
    headers.push(new Headers(request.headers));
    if (request.method !== "PUT" || !path.startsWith(`/${bucket}/`)) return answer(400, "InvalidRequest");
    if (!request.headers.get("Authorization")?.startsWith("AWS4-HMAC-SHA256 ")) return answer(403, "AccessDenied");
    const body = new Uint8Array(await request.arrayBuffer());
    if (refuse(key)) return answer(503, "SlowDown");
    const md5 = request.headers.get("Content-MD5");
    if (md5 !== null && md5 !== btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("MD5", body))))) return answer(400, "BadDigest");
    const payloadHash = request.headers.get("x-amz-content-sha256");
    if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== hex(await crypto.subtle.digest("SHA-256", body))) return answer(400, "XAmzContentSHA256Mismatch");
    objects.set(key, body);
    return new Response(null, { status: 200 });
  };
  return { fetch: fetcher, objects, requests, headers };
}

// An S3-compatible export target as settings store it, its secret sealed for the log-export binding.
export async function makeS3Export(): Promise<StoredLogExport & { target: "s3" }> {
  return {
    target: "s3",
    endpoint: "https://s3.eu-west-1.amazonaws.com",
    bucket: "fleet-sync-logs",
    region: "eu-west-1",
    prefix: "outbound-sync/",
    access_key_id: "AKIAEXAMPLE",
    secret_ciphertext: await encryptSecret(env, "s3-secret-for-tests", SECRET_BINDINGS.logExport()),
    secret_hint: "••••ests",
  };
}
