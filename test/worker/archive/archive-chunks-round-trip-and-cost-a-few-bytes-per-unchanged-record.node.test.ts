import { describe, expect, it } from "vitest";
import { decodeLogs, decodeOutcomes, encodeLogs, encodeOutcomes, type ArchivedOutcome } from "../../../worker/archive/chunk-codec";
import { archiveDay, dayPrefix, indexKey, outcomeChunkKey } from "../../../worker/archive/archive-keys";
import { emptyIndex, parseIndex } from "../../../worker/archive/archive-index";

const at = Date.UTC(2026, 11, 5, 21, 0, 0);

function unchanged(n: number): ArchivedOutcome[] {
  return Array.from({ length: n }, (_, i) => ({
    serial: `SN-${String(i).padStart(7, "0")}`,
    action: "skipped_no_change",
    changes: null,
    differences: null,
    http_status: null,
    payload_excerpt: null,
    error: null,
    at,
  }));
}

describe("archive chunks", () => {
  it("round-trip outcomes sorted by serial, keeping every field and each record's own time", async () => {
    const outcomes: ArchivedOutcome[] = [
      { serial: "b", action: "failed", changes: null, differences: null, http_status: 422, payload_excerpt: '{"x":1}', error: "rejected", at: at + 5 },
      {
        serial: "a",
        action: "updated",
        changes: '[{"field":"f","before":1,"after":2}]',
        differences: null,
        http_status: 200,
        payload_excerpt: null,
        error: null,
        at,
      },
    ];
    const decoded = await decodeOutcomes(await encodeOutcomes(outcomes));
    expect(decoded).toEqual([outcomes[1], outcomes[0]]);
  });

  it("round-trip the differences of a verify mismatch and a drifted serial under the key d", async () => {
    const stored = JSON.stringify([{ field: "name", expected: "Pump 7", found: "PUMP 7", side: "stored" }]);
    const drifted = JSON.stringify([{ field: "site", expected: "Oslo", found: null, side: "destination" }]);
    const outcomes: ArchivedOutcome[] = [
      { serial: "a", action: "verify_mismatch", changes: null, differences: stored, http_status: 200, payload_excerpt: null, error: null, at },
      { serial: "b", action: "drifted", changes: null, differences: drifted, http_status: null, payload_excerpt: null, error: null, at },
      { serial: "c", action: "verified", changes: null, differences: null, http_status: 200, payload_excerpt: null, error: null, at },
    ];
    const bytes = await encodeOutcomes(outcomes);
    expect(await decodeOutcomes(bytes)).toEqual(outcomes);
    const lines = (await new Response(new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream("gzip"))).text()).split("\n");
    expect(JSON.parse(lines[1]!)).toMatchObject({ s: "a", a: "verify_mismatch", d: stored });
    expect(JSON.parse(lines[3]!)).not.toHaveProperty("d");
  });

  it("round-trip log lines in seq order", async () => {
    const logs = [
      { seq: 2, at: at + 1, level: "ERROR" as const, message: "SN-1 failed", serial: "SN-1" },
      { seq: 1, at, level: "INFO" as const, message: "started", serial: null },
    ];
    expect(await decodeLogs(await encodeLogs(logs))).toEqual([logs[1], logs[0]]);
  });

  it("store an unchanged record in single-digit bytes", async () => {
    const bytes = await encodeOutcomes(unchanged(10_000));
    expect(bytes.byteLength / 10_000).toBeLessThan(10);
  });

  it("refuse a chunk or index of another format version", async () => {
    const text = '{"v":2,"t":0}\n';
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
    await expect(decodeOutcomes(new Uint8Array(await new Response(stream).arrayBuffer()))).rejects.toThrow(/format 2/);
    expect(() => parseIndex(JSON.stringify({ ...emptyIndex("job", "run", "2026-12-05"), version: 9 }))).toThrow(/format 9/);
  });

  it("put every object of a day under one prefix", () => {
    const day = archiveDay(at);
    expect(day).toBe("2026-12-05");
    expect(indexKey(day, "job_1").startsWith(dayPrefix(day))).toBe(true);
    expect(outcomeChunkKey(day, "job_1", 12)).toBe("jobs/2026-12-05/job_1/outcomes/000012.ndjson.gz");
    expect(() => dayPrefix("2026-12-05/../x")).toThrow();
  });
});
