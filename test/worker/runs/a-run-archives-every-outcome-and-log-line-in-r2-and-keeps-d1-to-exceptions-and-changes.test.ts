import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { archiveDay, jobPrefix } from "../../../worker/archive/archive-keys";
import type { RunDetail } from "../../../worker/schemas/runs";
import { TERMINAL_STATUS } from "../../../worker/schemas/vocabulary";
import type { CoordinatorStore } from "../../../worker/runs/coordinator-store";
import type { RunCoordinator } from "../../../worker/runs/run-coordinator";
import { DEMO_EXPECTATIONS, demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import {
  api,
  coordinatorStub,
  counters,
  countersOf,
  DEMO_IDS,
  demoConfig,
  driveRun,
  jobArchive,
  makeCredentialWith,
  outcomesOf,
  resetWorld,
  runToEnd,
  sandboxStats,
  startRun,
  stepRun,
  tuneRun,
} from "../factories";

const SLOW = { timeout: 120_000 };
const FULL = DEMO_EXPECTATIONS.full_run;
const EXCEPTIONS = FULL.would_update + FULL.missing_source + FULL.missing_destination;

beforeEach(async () => {
  await resetWorld();
});

// Reads of what the ledger stored for a job, to show what D1 does and does not hold.
async function ledgerOf(jobId: string) {
  const [outcomes, logs, job] = await env.LEDGER.batch<Record<string, unknown>>([
    env.LEDGER.prepare("SELECT serial, action FROM record_outcomes WHERE job_id = ?1 ORDER BY serial").bind(jobId),
    env.LEDGER.prepare("SELECT COUNT(*) AS n FROM logs WHERE job_id = ?1").bind(jobId),
    env.LEDGER.prepare("SELECT archive_day, exceptions_omitted, created_at FROM jobs WHERE id = ?1").bind(jobId),
  ]);
  return {
    outcomes: outcomes!.results as Array<{ serial: string; action: string }>,
    logLines: (logs!.results[0] as { n: number }).n,
    job: job!.results[0] as { archive_day: string | null; exceptions_omitted: number; created_at: number },
  };
}

async function latestRows(connectionId: string, jobId?: string): Promise<number> {
  const row = await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM latest_outcomes WHERE connection_id = ?1 AND (?2 IS NULL OR job_id = ?2)")
    .bind(connectionId, jobId ?? null)
    .first<{ n: number }>();
  return row!.n;
}

async function objectKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.ARCHIVE.list({ prefix, ...(cursor === undefined ? {} : { cursor }) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return keys.sort();
}

// The archive is whole and has nothing beside its index: chunk numbers 1…n, every object listed, each serial once.
async function expectWholeArchive(run: RunDetail): Promise<void> {
  for (const job of run.jobs) {
    const archive = (await jobArchive(job.id))!;
    const { archive_day } = (await ledgerOf(job.id)).job;
    expect(archive.index.sealed, job.connection_name).toBe(true);
    expect(archive.index.outcomes.map((e) => e.chunk)).toEqual(archive.index.outcomes.map((_, i) => i + 1));
    expect(archive.index.logs.map((e) => e.chunk)).toEqual(archive.index.logs.map((_, i) => i + 1));
    expect(archive.index.requests.map((e) => e.chunk)).toEqual(archive.index.requests.map((_, i) => i + 1));
    // Every request once, numbered without a gap, even across a flush replayed after a crash.
    expect(archive.requests.length).toBeGreaterThan(0);
    expect(archive.requests.map((r) => r.seq)).toEqual(archive.requests.map((_, i) => i + 1));
    // A dry job with writes to plan keeps them beside its outcomes, one plan entry per would-update serial.
    const plan = archive.index.plan ?? [];
    expect(plan.reduce((sum, e) => sum + e.count, 0)).toBe(job.would_update);
    const listed = [...archive.index.outcomes, ...archive.index.logs, ...archive.index.requests, ...plan].map((e) => e.key);
    expect(await objectKeys(jobPrefix(archive_day!, job.id))).toEqual([...listed, `${jobPrefix(archive_day!, job.id)}index.json`].sort());
    const chunked = archive.index.outcomes.reduce((sum, e) => sum + e.count, 0);
    expect(chunked, "no serial in two chunks").toBe(job.processed);
    expect(archive.outcomes.size).toBe(job.processed);
    const actions = counters({});
    for (const entry of archive.index.outcomes) for (const [action, n] of Object.entries(entry.actions)) actions[action as keyof typeof actions] += n;
    expect({ ...actions, processed: job.processed }).toEqual(countersOf(job));
  }
}

describe("a run's outcomes and logs", () => {
  it("are archived in R2 under the job's day with a sealed index whose counts are the job's counters", SLOW, async () => {
    const run = await runToEnd({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
    const job = run.jobs[0]!;
    expect(countersOf(job)).toEqual(
      counters({
        processed: 500,
        would_update: FULL.would_update,
        skipped_no_change: FULL.skipped_no_change,
        missing_source: FULL.missing_source,
        missing_destination: FULL.missing_destination,
      }),
    );
    const stored = await ledgerOf(job.id);
    expect(stored.job.archive_day).toBe(archiveDay(stored.job.created_at));
    await expectWholeArchive(run);

    const archive = (await jobArchive(job.id))!;
    expect(archive.index).toMatchObject({ job_id: job.id, run_id: run.id, day: stored.job.archive_day });
    const expected = demoExpectedOutcomes();
    expect(new Map([...archive.outcomes].map(([serial, o]) => [serial, o.action]))).toEqual(expected);
    expect(archive.logs.map((l) => l.seq)).toEqual(archive.logs.map((_, i) => i + 1));
  });

  it("leave D1 no unchanged outcome and no log line: only the exceptions, up to the limit, and how many it left out", SLOW, async () => {
    const all = await runToEnd({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
    const stored = await ledgerOf(all.jobs[0]!.id);
    expect(stored.logLines).toBe(0);
    expect(stored.outcomes).toHaveLength(EXCEPTIONS);
    expect(new Set(stored.outcomes.map((o) => o.action))).toEqual(new Set(["would_update", "missing_source", "missing_destination"]));
    expect(stored.job.exceptions_omitted).toBe(0);

    const started = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
    await tuneRun(started.id, { exceptionsPerJob: 20 });
    const bounded = await driveRun(started.id);
    const capped = await ledgerOf(bounded.jobs[0]!.id);
    expect(capped.outcomes).toHaveLength(20);
    expect(capped.job.exceptions_omitted).toBe(EXCEPTIONS - 20);
    expect((await outcomesOf(bounded.jobs[0]!.id)).size).toBe(500);
  });

  it("write latest_outcomes only when a serial's action changes: an identical second run writes no row", SLOW, async () => {
    const first = await runToEnd({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
    expect(await latestRows(DEMO_IDS.json)).toBe(500);
    expect(await latestRows(DEMO_IDS.json, first.jobs[0]!.id)).toBe(500);

    const second = await runToEnd({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
    expect(second.jobs[0]!.processed).toBe(500);
    expect(await latestRows(DEMO_IDS.json)).toBe(500);
    expect(await latestRows(DEMO_IDS.json, second.jobs[0]!.id)).toBe(0);

    // A live run turns each would-update into updated: exactly those rows change.
    const live = await runToEnd({ type: "full", mode: "live", connection_ids: [DEMO_IDS.json] });
    expect(live.jobs[0]!.updated).toBe(FULL.would_update);
    expect(await latestRows(DEMO_IDS.json, live.jobs[0]!.id)).toBe(FULL.would_update);
  });
});

describe("a flush cut off after its chunks are written", () => {
  it("is replayed to the same archive and the same ledger, and no write is repeated", SLOW, async () => {
    const run = await startRun({ type: "full", mode: "live", connection_ids: [DEMO_IDS.json] });
    await tuneRun(run.id, { flushEveryMs: 0 });
    await stepRun(run.id);
    // Killed between the D1 commit and the transaction that drops the flushed rows: the replay writes the
    // same chunk numbers, exceptions and counters again.
    await runInDurableObject(coordinatorStub(run.id), (instance: RunCoordinator, state) => {
      const store = (instance as unknown as { store: CoordinatorStore }).store;
      const drop = store.dropFlushed.bind(store);
      store.dropFlushed = (flushedIds, archives = []) => {
        if (archives.some((a) => a.outcomeChunk !== null)) state.abort("killed by the test");
        drop(flushedIds, archives);
      };
    });
    const killed = await runDurableObjectAlarm(coordinatorStub(run.id)).then(
      () => false,
      (error: unknown) => /killed by the test/.test(String(error)),
    );
    expect(killed).toBe(true);
    const job = run.jobs[0]!;
    const day = (await ledgerOf(job.id)).job.archive_day!;
    expect(await objectKeys(`${jobPrefix(day, job.id)}outcomes/`)).toEqual([`${jobPrefix(day, job.id)}outcomes/000001.ndjson.gz`]);

    const done = await driveRun(run.id);
    expect(countersOf(done.jobs[0]!)).toEqual(
      counters({
        processed: 500,
        updated: FULL.would_update,
        skipped_no_change: FULL.skipped_no_change,
        missing_source: FULL.missing_source,
        missing_destination: FULL.missing_destination,
      }),
    );
    await expectWholeArchive(done);
    expect((await ledgerOf(job.id)).outcomes).toHaveLength(EXCEPTIONS);
    expect(await latestRows(DEMO_IDS.json, job.id)).toBe(500);
    const stats = await sandboxStats();
    expect(stats.writes).toBe(FULL.would_update);
    expect(Math.max(...Object.values(stats.writes_by_serial))).toBe(1);
  });
});

describe("the retry list of the next incremental run", () => {
  it("holds every failed serial, however few of them D1's exceptions keep", SLOW, async () => {
    const records = demoSourceDevices().slice(0, 60);
    const expected = demoExpectedOutcomes();
    const broken = records.filter((r) => expected.get(r.serial) === "skipped_no_change" && r.battery_pct !== null).map((r) => r.serial);
    expect(broken.length).toBeGreaterThan(6);
    const { connectionIds } = await makeCredentialWith([{ config: demoConfig(0), dry_run: false }], records);
    const id = connectionIds[0]!;
    // A battery level the mapping cannot read fails the record (a state no upload gives with an old updated_at).
    for (const serial of broken) {
      const row = await env.LEDGER.prepare("SELECT record_json FROM dataset_records WHERE connection_id = ?1 AND serial = ?2")
        .bind(id, serial)
        .first<{ record_json: string }>();
      const record = { ...(JSON.parse(row!.record_json) as Record<string, unknown>), battery_pct: "lots" };
      await env.LEDGER.prepare("UPDATE dataset_records SET record_json = ?3, updated_at = 1000 WHERE connection_id = ?1 AND serial = ?2")
        .bind(id, serial, JSON.stringify(record))
        .run();
    }
    const sync = async (limit: number) => {
      const res = await api<RunDetail>("POST", `/api/connections/${id}/sync`);
      expect(res.status).toBe(202);
      await tuneRun(res.body.id, { exceptionsPerJob: limit });
      return driveRun(res.body.id);
    };

    const first = await sync(2);
    expect(first.jobs[0]).toMatchObject({ processed: 60, failed: broken.length });
    expect((await ledgerOf(first.jobs[0]!.id)).outcomes).toHaveLength(2);
    const { results } = await env.LEDGER.prepare("SELECT serial FROM connection_retry_serials WHERE connection_id = ?1 ORDER BY serial")
      .bind(id)
      .all<{ serial: string }>();
    expect(results.map((r) => r.serial)).toEqual([...broken].sort());

    const retried = await sync(2);
    expect(retried.jobs[0]).toMatchObject({ in_scope: broken.length, processed: broken.length, failed: broken.length });
  });
});

describe("a finished run's coordinator", () => {
  it("holds one listing at a time: the next job's read begins once the last job's index is dropped, a bounded batch per step", SLOW, async () => {
    const config = demoConfig(2);
    expect(config.fetch.mode).toBe("list");
    const { credentialId } = await makeCredentialWith([{ config }, { config }]);
    const started = await startRun({ credential_id: credentialId, type: "full", mode: "dry" });
    const batch = 100;
    await tuneRun(started.id, { releaseBatchRows: batch });
    const [first, second] = started.jobs.map((job) => job.id);
    const stub = coordinatorStub(started.id);
    const rowsByJob = () =>
      runInDurableObject(stub, (_instance, state) => {
        const tables = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'serial_index'").toArray();
        if (tables.length === 0) return {} as Record<string, number>;
        const rows = state.storage.sql.exec<{ job_id: string; n: number }>("SELECT job_id, COUNT(*) AS n FROM serial_index GROUP BY job_id").toArray();
        return Object.fromEntries(rows.map((row) => [row.job_id, row.n]));
      });

    let firstListing = 0;
    let dropSteps = 0;
    for (let step = 0; step < 400 && !TERMINAL_STATUS[(await api<RunDetail>("GET", `/api/runs/${started.id}`)).body.status]; step++) {
      const before = await rowsByJob();
      await stepRun(started.id);
      const after = await rowsByJob();
      firstListing = Math.max(firstListing, after[first!] ?? 0);
      // Never both listings at once, and the first one leaves at most a batch per step.
      expect(after[first!] !== undefined && after[second!] !== undefined, JSON.stringify(after)).toBe(false);
      const dropped = (before[first!] ?? 0) - (after[first!] ?? 0);
      expect(dropped).toBeLessThanOrEqual(batch);
      if (dropped > 0) dropSteps += 1;
    }
    expect(firstListing).toBe(DEMO_EXPECTATIONS.fleet_devices);
    expect(dropSteps).toBeGreaterThanOrEqual(DEMO_EXPECTATIONS.fleet_devices / batch);
    const run = (await api<RunDetail>("GET", `/api/runs/${started.id}`)).body;
    expect(run.status).toBe("completed");
    // The second job read its own listing whole: the same counters as the first.
    expect(countersOf(run.jobs[1]!)).toEqual(countersOf(run.jobs[0]!));
  });

  it("drops its listing index in bounded batches, then deletes its storage, and still answers from the ledger", SLOW, async () => {
    const started = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.bulk] });
    const batch = 100;
    await tuneRun(started.id, { releaseBatchRows: batch });
    const run = await driveRun(started.id);
    expect(run.status).toBe("completed");
    const stub = coordinatorStub(run.id);
    const listed = () =>
      runInDurableObject(stub, (_instance, state) => {
        const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'serial_index'").toArray();
        return tables.length === 0 ? 0 : state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM serial_index").one().n;
      });
    let remaining = await listed();
    expect(remaining).toBe(DEMO_EXPECTATIONS.fleet_devices);

    let alarms = 0;
    while (await runDurableObjectAlarm(stub)) {
      alarms += 1;
      const now = await listed();
      expect(remaining - now).toBeLessThanOrEqual(batch);
      remaining = now;
      expect(alarms).toBeLessThan(100);
    }
    expect(alarms).toBeGreaterThan(DEMO_EXPECTATIONS.fleet_devices / batch);
    const storage = await runInDurableObject(stub, async (_instance, state) => ({
      tables: state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
        .toArray()
        .map((t) => t.name),
      alarm: await state.storage.getAlarm(),
    }));
    expect(storage).toEqual({ tables: [], alarm: null });

    const answer = { run_id: run.id, status: "completed", cancel_requested: false };
    const snapshot = await stub.snapshot();
    expect(snapshot).toMatchObject(answer);
    expect(snapshot.jobs.map((j) => [j.job_id, j.status, j.counters.processed])).toEqual([[run.jobs[0]!.id, "completed", 500]]);
    // Started or canceled again, it answers the same and runs nothing.
    expect(await stub.start(run.id)).toMatchObject(answer);
    expect(await stub.cancel(run.id)).toMatchObject(answer);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect((await api<RunDetail>("GET", `/api/runs/${run.id}`)).body).toMatchObject({ status: "completed", finished_at: run.finished_at });
  });
});
