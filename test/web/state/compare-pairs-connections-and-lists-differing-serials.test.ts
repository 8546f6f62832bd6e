import { describe, expect, it } from "vitest";
import { diffOutcomes, pairConnections, sameOutcome } from "../../../web/src/state/compare.svelte";
import type { RecordAction } from "../../../web/src/lib/run-types";
import { makeRunDetail } from "../factories";

describe("comparing two runs", () => {
  it("counts a dry run's Would Update and a live run's Updated as the same outcome", () => {
    expect(sameOutcome("would_update", "updated")).toBe(true);
    expect(sameOutcome("updated", "would_update")).toBe(true);
    expect(sameOutcome("would_update", "failed")).toBe(false);
    expect(sameOutcome("skipped_no_change", null)).toBe(false);
  });

  it("counts a write read back as sent like Updated, and lists a Verify Mismatch or a Drifted serial", () => {
    expect(sameOutcome("would_update", "verified")).toBe(true);
    expect(sameOutcome("would_update", "verify_mismatch")).toBe(false);
    expect(sameOutcome("would_update", "drifted")).toBe(false);
  });

  it("lists each serial whose outcome differs, including ones only one run has, sorted", () => {
    const a = new Map<string, RecordAction>([
      ["DEV-3", "would_update"],
      ["DEV-1", "would_update"],
      ["DEV-2", "missing_destination"],
    ]);
    const b = new Map<string, RecordAction>([
      ["DEV-1", "updated"],
      ["DEV-2", "skipped_no_change"],
      ["DEV-4", "updated"],
    ]);

    const differences = diffOutcomes({ connectionId: "conn_1", name: "Device status (JSON)" }, a, b);

    expect(differences.map((d) => [d.serial, d.a, d.b])).toEqual([
      ["DEV-2", "missing_destination", "skipped_no_change"],
      ["DEV-3", "would_update", null],
      ["DEV-4", null, "updated"],
    ]);
  });

  it("pairs jobs by connection in execution order, keeping a connection only one run has", () => {
    const a = makeRunDetail({}, [
      { connection_id: "conn_a", connection_name: "A", would_update: 3 },
      { connection_id: "conn_b", connection_name: "B" },
    ]);
    const b = makeRunDetail({ mode: "live" }, [
      { connection_id: "conn_a", connection_name: "A", updated: 3 },
      { connection_id: "conn_c", connection_name: "C" },
    ]);

    const pairs = pairConnections(a, b);

    expect(pairs.map((pair) => [pair.name, pair.a !== null, pair.b !== null])).toEqual([
      ["A", true, true],
      ["B", true, false],
      ["C", false, true],
    ]);
    expect(pairs[0]?.countersA?.would_update).toBe(3);
    expect(pairs[0]?.countersB?.updated).toBe(3);
  });
});
