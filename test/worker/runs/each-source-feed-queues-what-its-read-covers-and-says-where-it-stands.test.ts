import { describe, expect, it } from "vitest";
import { takeDatasetRows } from "../../../worker/runs/dataset-feed";
import { distinctRecords, takeSourcePage, type PageContext } from "../../../worker/runs/paged-source-feed";
import { takeSingleSerial } from "../../../worker/runs/single-serial-feed";
import { takePlannedRows, withPlannedRest } from "../../../worker/runs/plan-feed";
import { makePage, makePagedProgress, sourceRecord } from "./job-factories";

const row = (serial: string, updated_at: number) => ({ serial, record_json: JSON.stringify({ serial }), updated_at });
const AFTER = Date.parse("2026-11-01T00:00:00Z");

describe("the dataset feed", () => {
  const source = { kind: "dataset" as const, scope: { kind: "all" as const }, after: "", done: false };

  it("queues a batch in order, continues after its last serial and keeps the latest updated-at", () => {
    const step = takeDatasetRows(source, [row("A", 5), row("B", 9), row("C", 7)], 3, 6);
    expect(step.queue.map((q) => q.serial)).toEqual(["A", "B", "C"]);
    expect(step.queue[0]!.record_json).toBe(JSON.stringify({ serial: "A" }));
    expect(step.source).toEqual({ ...source, after: "C", done: false });
    expect(step.maxSeenMs).toBe(9);
  });

  it("ends the read with a short batch, and an empty one changes nothing else", () => {
    expect(takeDatasetRows(source, [row("A", 1)], 3, null).source).toMatchObject({ after: "A", done: true });
    const empty = takeDatasetRows({ ...source, after: "Z" }, [], 3, 4);
    expect(empty).toEqual({ queue: [], source: { ...source, after: "Z", done: true }, maxSeenMs: 4, logs: [] });
  });
});

describe("the single-serial feed", () => {
  const source = { kind: "single" as const, serial: "DEV-00042", state: null, done: false };

  it("queues the serial's record once found and is done", () => {
    const step = takeSingleSerial(source, { record_json: '{"serial":"DEV-00042"}', last: false, nextState: null });
    expect(step.queue).toEqual([{ serial: "DEV-00042", record_json: '{"serial":"DEV-00042"}' }]);
    expect(step.source.done).toBe(true);
    expect(step.logs).toEqual([]);
  });

  it("reads on while more pages may hold the serial", () => {
    const next = makePage([], { last: false }).nextState;
    const step = takeSingleSerial(source, { record_json: null, last: false, nextState: next });
    expect(step.queue).toEqual([]);
    expect(step.source).toEqual({ ...source, state: next, done: false });
  });

  it("queues a serial in no source without a record, so it counts as missing source, and says so", () => {
    const step = takeSingleSerial(source, { record_json: null, last: true, nextState: null });
    expect(step.queue).toEqual([{ serial: "DEV-00042", record_json: null }]);
    expect(step.source.done).toBe(true);
    expect(step.logs).toEqual([{ level: "WARN", message: "DEV-00042 is not in the source: nothing to look up or write", serial: "DEV-00042" }]);
  });
});

describe("the paged-source feed", () => {
  const context = (records: ReturnType<typeof sourceRecord>[], overrides: Partial<PageContext> = {}): PageContext => ({
    fresh: new Set(records.map((r) => r.serial)),
    retries: new Set(),
    keptBefore: 0,
    maxSeenMs: null,
    ...overrides,
  });

  it("takes each serial of a page once, the last of its repeats", () => {
    const page = makePage([sourceRecord("A", "2026-11-02T00:00:00Z"), sourceRecord("B"), { serial: "A", record: { serial: "A", v: 2 } }]);
    expect(distinctRecords(page).map((r) => r.record)).toEqual([{ serial: "A", v: 2 }, { serial: "B" }]);
    expect(distinctRecords(null)).toEqual([]);
  });

  it("queues only serials no earlier page returned", () => {
    const records = [sourceRecord("A"), sourceRecord("B")];
    const step = takeSourcePage(makePagedProgress(), makePage(records), records, context(records, { fresh: new Set(["B"]) }));
    expect(step.queue).toEqual([{ serial: "B", record_json: JSON.stringify({ serial: "B" }) }]);
  });

  it("with a cursor, queues records changed after it, on the retry list, or without a readable updated-at", () => {
    const records = [
      sourceRecord("OLD", "2026-10-01T00:00:00Z"),
      sourceRecord("NEW", "2026-11-02T00:00:00Z"),
      sourceRecord("RETRY", "2026-10-01T00:00:00Z"),
      sourceRecord("UNDATED"),
    ];
    const source = makePagedProgress({ filter: { afterMs: AFTER, retries: true } });
    const step = takeSourcePage(source, makePage(records), records, context(records, { retries: new Set(["RETRY"]) }));
    expect(step.queue.map((q) => q.serial)).toEqual(["NEW", "RETRY", "UNDATED"]);
    // The cursor moves to the latest updated-at seen, filtered out or not.
    expect(step.maxSeenMs).toBe(Date.parse("2026-11-02T00:00:00Z"));
  });

  it("counts the scope as the size the first page announces until the last page gives the count", () => {
    const first = [sourceRecord("A"), sourceRecord("B")];
    const step = takeSourcePage(makePagedProgress(), makePage(first, { last: false, total: 10 }), first, context(first));
    expect(step.inScope).toBe(10);
    expect(step.source).toMatchObject({ reported_total: 10, kept: 2, done: false });
    const second = [sourceRecord("C")];
    const end = takeSourcePage(step.source, makePage(second, { total: 10 }), second, context(second, { keptBefore: 2 }));
    expect(end.inScope).toBe(3);
    expect(end.source).toMatchObject({ reported_total: 10, kept: 3, state: null, done: true });
  });

  it("logs the records of a page it could not read, and ends on an empty source", () => {
    const page = makePage([], { unreadable: ["record is a string, not an object"] });
    const step = takeSourcePage(makePagedProgress(), page, [], context([]));
    expect(step.logs).toEqual([
      {
        level: "WARN",
        message: "Source page http://localhost/sandbox/source?page=1: 1 record(s) skipped, e.g. record is a string, not an object",
        serial: null,
      },
    ]);
    expect(takeSourcePage(makePagedProgress(), null, [], context([]))).toMatchObject({ queue: [], inScope: 0, source: { done: true, kept: 0 } });
  });
});

describe("an apply job's feed", () => {
  const source = { kind: "dataset" as const, scope: { kind: "all" as const }, after: "", done: false };

  it("queues each planned serial of a batch with its record now, or without one when the source lost it, and says so", () => {
    const step = takePlannedRows(source, ["A", "B", "C"], [row("A", 1), row("C", 2)], 3);
    expect(step.queue).toEqual([
      { serial: "A", record_json: JSON.stringify({ serial: "A" }) },
      { serial: "B", record_json: null },
      { serial: "C", record_json: JSON.stringify({ serial: "C" }) },
    ]);
    expect(step.source).toEqual({ ...source, after: "C", done: false });
    expect(step.maxSeenMs).toBeNull();
    expect(step.logs.map((l) => l.serial)).toEqual(["B"]);
    expect(takePlannedRows(source, ["D"], [row("D", 1)], 3).source.done).toBe(true);
  });

  it("after an HTTP source's last page, queues the planned serials no page returned, and counts the plan as the scope", () => {
    const page = makePagedProgress();
    const step = { queue: [{ serial: "A", record_json: "{}" }], source: { ...page, done: false }, maxSeenMs: 5, inScope: 1, logs: [] };
    expect(withPlannedRest(step, ["Z"], 4)).toMatchObject({ queue: [{ serial: "A" }], inScope: 4, maxSeenMs: null });
    const last = withPlannedRest({ ...step, source: { ...page, done: true } }, ["Z"], 4);
    expect(last.queue).toEqual([
      { serial: "A", record_json: "{}" },
      { serial: "Z", record_json: null },
    ]);
    expect(last.logs.map((l) => l.serial)).toEqual(["Z"]);
  });
});
