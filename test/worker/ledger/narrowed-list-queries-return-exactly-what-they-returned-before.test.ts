import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { writeDatasetRecords } from "../../../worker/ledger/dataset-records";
import { listLogLines, listRuns } from "../../../worker/ledger/run-reads";
import { countDatasetScope, readDatasetBatch, type DatasetRow } from "../../../worker/ledger/run-scope";
import { cancelPendingRun, listRunJobRows } from "../../../worker/ledger/run-writes";
import { makeConnection, makeCredential, makeLogs, makeRun } from "../factories";

// The hot-path queries now read an index range first (query-plan test); these check on real rows that the
// narrower reads still return every row the wide ones did, and no other.

describe("narrowed list queries", () => {
  it("a log search finds a job's matching lines however other jobs' lines interleave with them, first and last included", async () => {
    const run = await makeRun({}, [{}, {}]);
    const [mine, other] = run.jobs as [(typeof run.jobs)[0], (typeof run.jobs)[0]];
    // Written alternately, so the other job's lines sit between this job's first and last rowid.
    for (let seq = 1; seq <= 6; seq++) {
      await makeLogs(mine, [{ level: "INFO", message: seq % 2 === 1 ? `retry batch ${seq}` : `wrote batch ${seq}` }], seq);
      await makeLogs(other, [{ level: "INFO", message: `retry elsewhere ${seq}` }], seq);
    }
    await makeLogs(mine, [{ level: "WARN", message: "retry at the end" }], 7);

    const found = await listLogLines(env.LEDGER, mine.id, { search: "retry", limit: 50 });
    expect(found?.data.map((line) => [line.job_id, line.seq])).toEqual([1, 3, 5, 7].map((seq) => [mine.id, seq]));
    const tail = await listLogLines(env.LEDGER, mine.id, { search: "retr", afterSeq: 3, levels: ["INFO"], limit: 50 });
    expect(tail?.data.map((line) => line.seq)).toEqual([5]);
  });

  it("an incremental dataset scope is the records changed since the cursor plus the retry serials, each once, in serial order", async () => {
    const connection = await makeConnection(await makeCredential());
    const record = (serial: string) => ({ serial, json: JSON.stringify({ serial }) });
    await writeDatasetRecords(env.LEDGER, connection.id, ["SN-1", "SN-2", "SN-3", "SN-4", "SN-5", "SN-6"].map(record), "merge", 1_000);
    // SN-2 and SN-5 change after the cursor; SN-3 (unchanged), SN-5 (changed too) and SN-9 (no record) failed last time.
    await writeDatasetRecords(
      env.LEDGER,
      connection.id,
      ["SN-2", "SN-5"].map((serial) => ({ serial, json: JSON.stringify({ serial, v: 2 }) })),
      "merge",
      3_000,
    );
    for (const serial of ["SN-3", "SN-5", "SN-9"]) {
      await env.LEDGER.prepare("INSERT INTO connection_retry_serials (connection_id, serial, failed_at) VALUES (?1, ?2, 0)").bind(connection.id, serial).run();
    }
    const scope = { kind: "changed", sinceMs: 2_000 } as const;

    expect(await countDatasetScope(env.LEDGER, connection.id, scope)).toBe(3);
    const read: DatasetRow[] = [];
    let after = "";
    for (;;) {
      const batch = await readDatasetBatch(env.LEDGER, connection.id, scope, after, 2);
      read.push(...batch);
      if (batch.length < 2) break;
      after = batch.at(-1)!.serial;
    }
    expect(read.map((row) => [row.serial, row.updated_at])).toEqual([
      ["SN-2", 3_000],
      ["SN-3", 1_000],
      ["SN-5", 3_000],
    ]);
  });

  it("runs listed by connection and status follow the run's status as it changes", async () => {
    const pending = await makeRun({ status: "pending" });
    const connectionId = pending.jobs[0]!.connection_id;
    const byStatus = async (status: "pending" | "canceled") => (await listRuns(env.LEDGER, { connectionId, status, limit: 10 })).data.map((run) => run.id);
    expect(await byStatus("pending")).toEqual([pending.id]);

    await cancelPendingRun(env.LEDGER, pending, await listRunJobRows(env.LEDGER, pending.id), Date.now());
    expect(await byStatus("pending")).toEqual([]);
    expect(await byStatus("canceled")).toEqual([pending.id]);
  });
});
