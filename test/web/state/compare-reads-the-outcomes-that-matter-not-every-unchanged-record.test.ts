import { describe, expect, it } from "vitest";
import { RECORD_ACTIONS } from "../../../worker/engine/reconcile";
import type { RecordListFilters } from "../../../web/src/lib/api";
import type { RecordAction, RecordOutcome, RecordOutcomePage, RunDetail } from "../../../web/src/lib/run-types";
import { CompareState } from "../../../web/src/state/compare.svelte";
import { makeRecord, makeRunDetail } from "../factories";

const dev = (n: number) => `DEV-${String(n).padStart(5, "0")}`;

// The records API over in-memory outcomes, with its meaning: by serial, one action, a serial prefix, cursor, limit.
function recordsServer(runs: RunDetail[], records: Record<string, RecordOutcome[]>) {
  const asked: Array<{ jobId: string; filters: RecordListFilters }> = [];
  const client = {
    run: async (id: string) => runs.find((run) => run.id === id)!,
    jobRecords: async (jobId: string, filters: RecordListFilters, list: { cursor?: string | null; limit?: number } = {}): Promise<RecordOutcomePage> => {
      asked.push({ jobId, filters });
      const limit = list.limit ?? 100;
      const matching = (records[jobId] ?? [])
        .filter((r) => (filters.action === undefined || r.action === filters.action) && (filters.serial === undefined || r.serial.startsWith(filters.serial)))
        .filter((r) => list.cursor == null || r.serial > list.cursor)
        .sort((x, y) => (x.serial < y.serial ? -1 : 1));
      const data = matching.slice(0, limit);
      return { data, next_cursor: matching.length > limit ? data[data.length - 1]!.serial : null };
    },
  };
  return { client, asked };
}

function outcomes(jobId: string, count: number, action: (n: number) => RecordAction | null): RecordOutcome[] {
  return Array.from({ length: count }, (_, n) => ({ n, action: action(n) }))
    .filter((entry): entry is { n: number; action: RecordAction } => entry.action !== null)
    .map(({ n, action }) => makeRecord({ job_id: jobId, serial: dev(n), action }));
}

function countersOf(records: RecordOutcome[]) {
  const counters = Object.fromEntries(RECORD_ACTIONS.map((action) => [action, 0])) as Record<RecordAction, number>;
  for (const record of records) counters[record.action] += 1;
  return { ...counters, processed: records.length, in_scope: records.length };
}

describe("Compare of two runs with thousands of unchanged records", () => {
  it("lists the differing serials without reading the records unchanged on both sides", async () => {
    // A dry run, then the live run: 140 would update, then are updated; one of them fails live; one serial
    // the dry run found missing at the destination is unchanged live.
    const dry = outcomes("job_dry", 5_000, (n) => (n % 35 === 0 ? "would_update" : n === 20 ? "missing_destination" : "skipped_no_change"));
    const live = outcomes("job_live", 5_000, (n) => (n === 35 ? "failed" : n % 35 === 0 ? "updated" : "skipped_no_change"));
    const a = makeRunDetail({ status: "completed" }, [{ id: "job_dry", connection_id: "conn_1", status: "completed", ...countersOf(dry) }]);
    const b = makeRunDetail({ status: "completed", mode: "live" }, [{ id: "job_live", connection_id: "conn_1", status: "completed", ...countersOf(live) }]);
    const { client, asked } = recordsServer([a, b], { job_dry: dry, job_live: live });

    const compare = new CompareState(client);
    await compare.load(a.id, b.id);

    expect(compare.diff.kind).toBe("ready");
    if (compare.diff.kind !== "ready") return;
    expect(compare.diff.differences.map((d) => [d.serial, d.a, d.b])).toEqual([
      [dev(20), "missing_destination", "skipped_no_change"],
      [dev(35), "would_update", "failed"],
    ]);
    expect(compare.diff.truncated).toBe(false);
    expect(asked.every(({ filters }) => filters.action !== undefined || filters.serial !== undefined)).toBe(true);
    expect(asked.some(({ filters }) => filters.action === "skipped_no_change")).toBe(false);
    expect(compare.diff.read).toBeLessThan(400);
  });

  it("still lists serials unchanged in one run and absent from the other", async () => {
    const full = outcomes("job_full", 300, () => "skipped_no_change");
    const single = [makeRecord({ job_id: "job_single", serial: dev(5), action: "updated" })];
    const a = makeRunDetail({ status: "completed" }, [{ id: "job_full", connection_id: "conn_1", status: "completed", ...countersOf(full) }]);
    const b = makeRunDetail({ status: "completed", type: "single" }, [
      { id: "job_single", connection_id: "conn_1", status: "completed", ...countersOf(single) },
    ]);
    const { client } = recordsServer([a, b], { job_full: full, job_single: single });

    const compare = new CompareState(client);
    await compare.load(a.id, b.id);

    if (compare.diff.kind !== "ready") throw new Error(compare.diff.kind);
    expect(compare.diff.differences).toHaveLength(300);
    expect(compare.diff.differences.find((d) => d.serial === dev(5))).toMatchObject({ a: "skipped_no_change", b: "updated" });
    expect(compare.diff.differences.find((d) => d.serial === dev(299))).toMatchObject({ a: "skipped_no_change", b: null });
  });
});
