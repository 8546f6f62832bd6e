import { describe, expect, it } from "vitest";
import { decodeLogs, decodeOutcomes, encodeLogs, encodeOutcomes, gzip, toNdjson, type ArchivedOutcome } from "../../../worker/archive/chunk-codec";
import { archiveDay, dayPrefix, indexKey, outcomeChunkKey } from "../../../worker/archive/archive-keys";
import { emptyIndex, parseIndex } from "../../../worker/archive/archive-index";
import { decodeRequests, encodeRequests, type ArchivedRequest } from "../../../worker/archive/request-codec";

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

  it("round-trip requests in seq order, keeping every field", async () => {
    const lookup: ArchivedRequest = {
      seq: 1,
      at,
      phase: "lookup",
      method: "GET",
      url: "https://dest.example/devices/SN-1",
      request_headers: { accept: "application/json", authorization: "[redacted]" },
      request_body: null,
      status: 200,
      duration_ms: 41,
      attempt: 1,
      retry_reason: null,
      concurrency: 6,
      error: null,
      response_headers: {},
      response_body: '{"serial":"SN-1"}',
      serials: ["SN-1"],
      truncated: false,
    };
    const retried: ArchivedRequest = {
      ...lookup,
      seq: 2,
      at: at + 300,
      phase: "update",
      method: "PATCH",
      request_body: '{"name":"x"}…',
      status: null,
      attempt: 2,
      retry_reason: "server_error",
      concurrency: 3,
      error: "timed out after 10000 ms",
      response_headers: { "x-request-id": "r-1" },
      response_body: null,
      serials: [],
      truncated: true,
    };
    const token: ArchivedRequest = { ...lookup, seq: 3, phase: "token", method: "POST", concurrency: null };
    expect(await decodeRequests(await encodeRequests([retried, token, lookup]))).toEqual([lookup, retried, token]);
  });

  it("read requests archived before the concurrency was recorded as not knowing it", async () => {
    const old = { q: 1, o: 0, p: "lookup", m: "GET", u: "https://dest.example/devices/SN-1", s: 200, l: 41, n: ["SN-1"] };
    const [decoded] = await decodeRequests(await gzip(toNdjson({ v: 1, t: at }, [JSON.stringify(old)])));
    expect(decoded).toMatchObject({ seq: 1, status: 200, serials: ["SN-1"], concurrency: null });
  });

  // What a lookup costs in the archive at fleet scale: its URL, its headers and a small JSON answer.
  it("store a lookup with a 200-byte answer in under 40 bytes", async () => {
    const lookups = Array.from({ length: 10_000 }, (_, i): ArchivedRequest => {
      const serial = `SN-${String(i).padStart(7, "0")}`;
      return {
        seq: i + 1,
        at: at + i * 3,
        phase: "lookup",
        method: "GET",
        url: `https://fleet.example.com/api/v2/devices/${serial}`,
        request_headers: { accept: "application/json", authorization: "[redacted]" },
        request_body: null,
        status: 200,
        duration_ms: 20 + (i % 50),
        attempt: 1,
        retry_reason: null,
        concurrency: 6,
        error: null,
        response_headers: { "content-type": "application/json" },
        response_body: JSON.stringify({
          serial,
          name: `Pump ${i}`,
          site: `Site ${i % 40}`,
          status: i % 7 === 0 ? "offline" : "active",
          firmware: `2.${i % 9}.1`,
          temperature: 20 + (i % 13) / 10,
          updated_at: new Date(at - i * 1000).toISOString(),
        }).padEnd(200, " "),
        serials: [serial],
        truncated: false,
      };
    });
    const bytes = await encodeRequests(lookups);
    expect(bytes.byteLength / 10_000).toBeLessThan(40);
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
