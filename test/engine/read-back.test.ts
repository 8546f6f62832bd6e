import { describe, expect, it } from "vitest";
import { compareReadBack, readBackPlan, sampledForReadBack } from "../../worker/engine/read-back";
import { reconcile } from "../../worker/engine/reconcile";
import { parseXml } from "../../worker/engine/xml";
import { makeMapping } from "./factories";

const JSON_RULES = makeMapping([
  { source: "name", destination: "display_name" },
  { source: "temperature", destination: "reading.celsius", formatter: "number" },
  { source: "seen", destination: "last_seen", formatter: "iso_date" },
  { source: "note", destination: "note", action: "never" },
]);

describe("comparing a written record read back", () => {
  const payload = { display_name: "Pump 1", reading: { celsius: 21.5 }, last_seen: "2026-11-01T08:00:00.000Z" };

  it("is verified when every written field holds the value sent, by each field's formatter", () => {
    // The destination keeps its own forms: a number as text, the instant with an offset.
    const stored = { display_name: "Pump 1", reading: { celsius: "21.50" }, last_seen: "2026-11-01T09:00:00+01:00", note: "other" };
    expect(compareReadBack(JSON_RULES, payload, stored)).toEqual({ verified: true, differences: [], hint: null });
  });

  it("names every field the destination stored differently, nested ones by their path, with what was sent and found", () => {
    const stored = { display_name: "Pump 1", reading: {}, last_seen: "2026-11-02T08:00:00.000Z" };
    const result = compareReadBack(JSON_RULES, payload, stored);
    expect(result.verified).toBe(false);
    expect(result.differences).toEqual([
      { field: "reading.celsius", expected: 21.5, found: null, side: "stored" },
      { field: "last_seen", expected: "2026-11-01T08:00:00.000Z", found: "2026-11-02T08:00:00.000Z", side: "stored" },
    ]);
    expect(result.hint).toBe("the destination accepted the write but stored a different value for reading.celsius and last_seen");
  });

  it("compares only the fields the write carried", () => {
    const stored = { display_name: "Pump 1", reading: { celsius: 99 }, last_seen: null };
    expect(compareReadBack(JSON_RULES, { display_name: "Pump 1" }, stored).verified).toBe(true);
    expect(compareReadBack(JSON_RULES, { display_name: "Pump 2" }, stored).hint).toBe(
      "the destination accepted the write but stored a different value for display_name",
    );
  });

  it("treats a record gone on read-back as a mismatch of every written field, found null", () => {
    const result = compareReadBack(JSON_RULES, { display_name: "Pump 1", last_seen: "2026-11-01T08:00:00.000Z" }, null, "not_found: lookup returned 404");
    expect(result.differences).toEqual([
      { field: "display_name", expected: "Pump 1", found: null, side: "stored" },
      { field: "last_seen", expected: "2026-11-01T08:00:00.000Z", found: null, side: "stored" },
    ]);
    expect(result.hint).toBe("the destination accepted the write but the record was not found when read back (not_found: lookup returned 404)");
  });

  it("reads an XML destination as reconcile does: attributes unwrapped, an empty element as null, numbers as text", () => {
    const rules = makeMapping(
      [
        { source: "name", destination: "display_name" },
        { source: "site", destination: "site_code", formatter: "uppercase" },
        { source: "battery", destination: "battery", formatter: "integer", on_null: "write_null" },
      ],
      { destinationFormat: "xml", payloadFormat: "xml" },
    );
    const sent = { display_name: "Pump 1", site_code: "AMS", battery: null };
    const stored = parseXml('<device><display_name lang="en">Pump 1</display_name><site_code>AMS</site_code><battery/></device>').device as Record<
      string,
      unknown
    >;
    expect(compareReadBack(rules, sent, stored)).toMatchObject({ verified: true });

    const transformed = parseXml("<device><display_name>Pump 1</display_name><site_code>ams</site_code><battery>80</battery></device>").device as Record<
      string,
      unknown
    >;
    expect(compareReadBack(rules, { ...sent, battery: 80 }, transformed).differences).toEqual([
      { field: "site_code", expected: "AMS", found: "ams", side: "stored" },
    ]);
  });

  it("agrees with reconcile: a destination holding what was sent leaves nothing to write", () => {
    const source = { name: "Pump 1", temperature: 21.5, seen: "2026-11-01T08:00:00Z", note: "n" };
    const decision = reconcile({ serial: "SN-1", source, destination: {}, rules: JSON_RULES });
    const stored = { display_name: "Pump 1", reading: { celsius: 21.5 }, last_seen: "2026-11-01T08:00:00Z" };
    expect(compareReadBack(JSON_RULES, decision.payload!, stored).verified).toBe(true);
    expect(reconcile({ serial: "SN-1", source, destination: stored, rules: JSON_RULES }).kind).toBe("skipped_no_change");
  });
});

describe("choosing the serials to read back", () => {
  const serials = Array.from({ length: 2000 }, (_, i) => `DEV-${String(i).padStart(5, "0")}`);

  it("reads none when off (the default), every one when all", () => {
    expect(readBackPlan({})).toEqual({ mode: "off", percent: 10 });
    expect(serials.some((s) => sampledForReadBack(readBackPlan({}), "job_1", s))).toBe(false);
    expect(serials.every((s) => sampledForReadBack(readBackPlan({ verify_writes: "all" }), "job_1", s))).toBe(true);
  });

  it("samples about the percentage asked, the same serials for the same job every time and other serials for another job", () => {
    const plan = readBackPlan({ verify_writes: "sample", verify_sample_percent: 20 });
    const chosen = (jobId: string) => serials.filter((s) => sampledForReadBack(plan, jobId, s));
    const first = chosen("job_a");
    expect(first.length).toBeGreaterThan(2000 * 0.15);
    expect(first.length).toBeLessThan(2000 * 0.25);
    expect(chosen("job_a")).toEqual(first);
    expect(chosen("job_b")).not.toEqual(first);
    const all = readBackPlan({ verify_writes: "sample", verify_sample_percent: 100 });
    expect(serials.every((s) => sampledForReadBack(all, "job_a", s))).toBe(true);
  });
});
