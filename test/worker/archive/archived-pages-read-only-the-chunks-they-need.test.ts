import { describe, expect, it } from "vitest";
import { listArchivedLogs, listArchivedRecords, readArchivedOutcome, type ArchivedJob } from "../../../worker/archive/archive-reader";
import { ChunkCache } from "../../../worker/archive/chunk-cache";
import type { JobRow } from "../../../worker/ledger/run-rows";
import type { RecordAction } from "../../../worker/engine/reconcile";
import { archiveDay, indexKey, logChunkKey, outcomeChunkKey } from "../../../worker/archive/archive-keys";
import { archiveLogs, archiveOutcomes, countingArchive, makeArchivedRun, type LogFixture, type OutcomeFixture } from "../factories";

const sn = (n: number) => `SN-${String(n).padStart(5, "0")}`;

// Ten flushes of a hundred serials each, disjoint and in order (chunk c holds SN-(c−1)00 … SN-(c−1)99);
// the only failures are in chunk 8.
async function jobOfTenChunks(): Promise<{ job: JobRow; archived: ArchivedJob }> {
  const job = (await makeArchivedRun({ status: "running" })).jobs[0]!;
  for (let c = 0; c < 10; c += 1) {
    const outcomes: OutcomeFixture[] = Array.from({ length: 100 }, (_, i) => ({
      serial: sn(c * 100 + i),
      action: (c === 7 && i % 10 === 0 ? "failed" : "skipped_no_change") as RecordAction,
    }));
    await archiveOutcomes(job, outcomes);
  }
  return { job, archived: { jobId: job.id, runId: job.run_id, day: archiveDay(job.created_at) } };
}

function reading() {
  const { bucket, reads } = countingArchive();
  return { source: { bucket, cache: new ChunkCache(10_000) }, reads };
}

const chunkKey = (job: JobRow, chunk: number) => outcomeChunkKey(archiveDay(job.created_at), job.id, chunk);
const serialsOf = (page: { data: Array<{ serial: string }> }) => page.data.map((record) => record.serial);

describe("a page of an archived job's records", () => {
  it("reads the index and only the chunks that can hold its rows", async () => {
    const { job, archived } = await jobOfTenChunks();
    const index = indexKey(archived.day, job.id);

    const first = reading();
    const page = await listArchivedRecords(first.source, archived, { limit: 50 });
    expect(serialsOf(page)).toEqual(Array.from({ length: 50 }, (_, i) => sn(i)));
    expect(page.nextCursor).toBe(sn(49));
    expect(first.reads).toEqual([index, chunkKey(job, 1)]);

    const middle = reading();
    expect(serialsOf(await listArchivedRecords(middle.source, archived, { cursor: sn(420), limit: 50 }))[0]).toBe(sn(421));
    expect(middle.reads).toEqual([index, chunkKey(job, 5)]);

    const failed = reading();
    const failures = await listArchivedRecords(failed.source, archived, { action: "failed", limit: 100 });
    expect(serialsOf(failures)).toEqual(Array.from({ length: 10 }, (_, i) => sn(700 + i * 10)));
    expect(failures.nextCursor).toBeNull();
    expect(failed.reads).toEqual([index, chunkKey(job, 8)]);

    const prefix = reading();
    expect(serialsOf(await listArchivedRecords(prefix.source, archived, { serialPrefix: "SN-003", limit: 500 }))).toHaveLength(100);
    expect(prefix.reads).toEqual([index, chunkKey(job, 4)]);
  });

  it("decodes a chunk once while the isolate's cache holds it, and the cache stays within its bound", async () => {
    const { archived } = await jobOfTenChunks();
    const { bucket, reads } = countingArchive();
    const cache = new ChunkCache(250);
    const source = { bucket, cache };
    await listArchivedRecords(source, archived, { limit: 10 });
    await listArchivedRecords(source, archived, { limit: 10, cursor: sn(9) });
    expect(reads.filter((key) => key.includes("/outcomes/"))).toHaveLength(1);
    await listArchivedRecords(source, archived, { limit: 1_000 });
    expect(cache.held).toBeLessThanOrEqual(250);
  });

  it("lets a later chunk's outcome of a serial win, even under a filter the later outcome does not match", async () => {
    const { job, archived } = await jobOfTenChunks();
    // A retry in a later slice: SN-00700 failed in chunk 8, then updated in chunk 11, whose range overlaps chunk 8 and 9.
    await archiveOutcomes(job, [
      { serial: sn(700), action: "updated" },
      { serial: sn(899), action: "updated" },
    ]);
    const { source, reads } = reading();
    const failures = serialsOf(await listArchivedRecords(source, archived, { action: "failed", limit: 100 }));
    expect(failures).not.toContain(sn(700));
    expect(failures).toHaveLength(9);
    expect(reads).toContain(chunkKey(job, 11));
    expect(serialsOf(await listArchivedRecords(source, archived, { action: "updated", limit: 100 }))).toEqual([sn(700), sn(899)]);
    const all = await listArchivedRecords(source, archived, { cursor: sn(698), limit: 3 });
    expect(all.data.map((record) => [record.serial, record.action])).toEqual([
      [sn(699), "skipped_no_change"],
      [sn(700), "updated"],
      [sn(701), "skipped_no_change"],
    ]);
  });

  it("shows a running job's newest chunk on the next page", async () => {
    const { job, archived } = await jobOfTenChunks();
    const { source } = reading();
    const before = await listArchivedRecords(source, archived, { cursor: sn(998), limit: 5 });
    expect(serialsOf(before)).toEqual([sn(999)]);
    expect(before.nextCursor).toBeNull();
    await archiveOutcomes(job, [
      { serial: sn(1_000), action: "updated" },
      { serial: sn(1_001), action: "failed" },
    ]);
    expect(serialsOf(await listArchivedRecords(source, archived, { cursor: sn(998), limit: 5 }))).toEqual([sn(999), sn(1_000), sn(1_001)]);
  });

  it("answers one serial's outcome, and null for a serial the job does not hold", async () => {
    const { job, archived } = await jobOfTenChunks();
    await archiveOutcomes(job, [{ serial: sn(250), action: "updated", changes: [{ field: "site", before: "A", after: "B", written: true }] }]);
    const { source } = reading();
    expect(await readArchivedOutcome(source, archived, sn(250))).toMatchObject({
      job_id: job.id,
      run_id: job.run_id,
      serial: sn(250),
      action: "updated",
      changes: [{ field: "site", before: "A", after: "B", written: true }],
    });
    expect(await readArchivedOutcome(source, archived, "SN-0025")).toBeNull();
    expect(await readArchivedOutcome(source, archived, "SN-99999")).toBeNull();
  });
});

describe("a page of an archived job's logs", () => {
  // Four flushes of 50 lines; only the third holds ERROR lines.
  async function jobOfFourLogChunks(): Promise<{ job: JobRow; archived: ArchivedJob }> {
    const job = (await makeArchivedRun({ status: "running" })).jobs[0]!;
    for (let c = 0; c < 4; c += 1) {
      const lines: LogFixture[] = Array.from({ length: 50 }, (_, i) => ({
        level: c === 2 && i % 5 === 0 ? "ERROR" : "INFO",
        message: `Line ${c * 50 + i + 1} of the stream`,
      }));
      await archiveLogs(job, lines, c * 50 + 1);
    }
    return { job, archived: { jobId: job.id, runId: job.run_id, day: archiveDay(job.created_at) } };
  }
  const logKey = (job: JobRow, chunk: number) => logChunkKey(archiveDay(job.created_at), job.id, chunk);

  it("reads only the chunks after the tail's seq and those holding the levels asked for", async () => {
    const { job, archived } = await jobOfFourLogChunks();
    const index = indexKey(archived.day, job.id);

    const tail = reading();
    const page = await listArchivedLogs(tail.source, archived, { afterSeq: 160, limit: 200 });
    expect(page.data.map((line) => line.seq)).toEqual(Array.from({ length: 40 }, (_, i) => 161 + i));
    expect(tail.reads).toEqual([index, logKey(job, 4)]);

    const errors = reading();
    const found = await listArchivedLogs(errors.source, archived, { levels: ["ERROR"], limit: 200 });
    expect(found.data.map((line) => line.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 101 + i * 5));
    expect(errors.reads).toEqual([index, logKey(job, 3)]);
  });

  it("tails a running job: lines of the newest chunk appear after the last seq seen", async () => {
    const { job, archived } = await jobOfFourLogChunks();
    const { source } = reading();
    expect((await listArchivedLogs(source, archived, { afterSeq: 200, limit: 10 })).data).toEqual([]);
    await archiveLogs(job, [{ level: "WARN", message: "Rate limited (429)", serial: "SN-7" }], 201);
    const next = await listArchivedLogs(source, archived, { afterSeq: 200, search: "rate lim", limit: 10 });
    expect(next.data).toEqual([
      { job_id: job.id, seq: 201, at: new Date(job.created_at + 200).toISOString(), level: "WARN", message: "Rate limited (429)", serial: "SN-7" },
    ]);
  });
});
