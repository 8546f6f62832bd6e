import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FieldRuleInput } from "../../worker/engine/contracts";
import { applyOutcome, checkInvariant, emptyCounters } from "../../worker/engine/counters";
import { finalAction, reconcile, type CompiledMapping, type Decision } from "../../worker/engine/reconcile";
import { buildXml, parseXml } from "../../worker/engine/xml";
import { makeMapping } from "./factories";

const SOURCES = ["s0", "s1", "s2", "s3", "s4", "s5"] as const;
const DESTINATIONS = ["d0", "d1", "d2", "d3", "g.h", "d5"] as const;

const formatterChoice = fc.constantFrom<Partial<FieldRuleInput>>(
  { formatter: "string" },
  { formatter: "number" },
  { formatter: "integer" },
  { formatter: "boolean" },
  { formatter: "iso_date" },
  { formatter: "epoch_ms" },
  { formatter: "lowercase" },
  { formatter: "uppercase" },
  { formatter: "trim" },
  { formatter: "map", options: { map: { a: "A", b: 2, c: true, d: null, "1": "one", "": "empty" } } },
  { formatter: "default", options: { default: "none" } },
  { formatter: "default", options: { default: "" } },
  { formatter: "template", options: { template: "{s0}-{s1}" } },
);

const ruleChoice = (actions: readonly FieldRuleInput["action"][]) =>
  fc.record({
    formatter: formatterChoice,
    source: fc.constantFrom(...SOURCES),
    action: fc.constantFrom(...actions),
    on_null: fc.constantFrom("skip" as const, "write_null" as const),
    required: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  });

const mappingRules = (actions: readonly FieldRuleInput["action"][]) =>
  fc.array(ruleChoice(actions), { minLength: 1, maxLength: DESTINATIONS.length }).map((choices) =>
    choices.map((c, i): Partial<FieldRuleInput> => ({
      ...c.formatter,
      source: c.source,
      destination: DESTINATIONS[i]!,
      action: c.action,
      on_null: c.on_null,
      required: c.required,
    })),
  );

const textValue = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom("a", "b", "c", "d", "1", "true", "yes", "", " 42 ", "-0", "1e21", "2024-02-29T12:00:00+01:00", "1700000000000"),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom("<x>", "a & b", "]]>", "\r\n\t", "  padded  ", "ß", "😀"),
);

const anyValue = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 4, arbitrary: textValue },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant({ nested: 1 }) },
);

const record = (value: fc.Arbitrary<unknown>, keys: readonly string[]) =>
  fc.record(Object.fromEntries(keys.map((k) => [k, value])) as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] });

const sourceRecord = record(anyValue, SOURCES);
const jsonDestination = record(anyValue, ["d0", "d1", "d2", "d3", "d5"]).chain((flat) =>
  fc.option(record(anyValue, ["h"]), { nil: undefined }).map((g) => (g === undefined ? flat : { ...flat, g })),
);
const xmlDestination = record(
  textValue.filter((t) => !/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(t)),
  ["d0", "d1", "d2", "d3", "d5"],
);

function applyPayload(destination: Record<string, unknown>, payload: Record<string, unknown>): Record<string, unknown> {
  const next: Record<string, unknown> = { ...destination };
  for (const [key, value] of Object.entries(payload)) {
    const current = next[key];
    const bothObjects = typeof value === "object" && value !== null && typeof current === "object" && current !== null;
    next[key] = bothObjects ? applyPayload(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return next;
}

function decide(rules: CompiledMapping, source: Record<string, unknown> | null, destination: Record<string, unknown> | null) {
  return reconcile({ serial: "SN", source, destination, rules });
}

describe("reconciliation properties", () => {
  it("dry and live runs agree: a dry would_update is exactly a live write, everything else is identical", () => {
    const records = fc.array(
      fc.record({
        source: fc.option(sourceRecord, { nil: null, freq: 8 }),
        destination: fc.option(jsonDestination, { nil: null, freq: 8 }),
        writeOk: fc.boolean(),
      }),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(mappingRules(["update_if_changed", "always", "never"]), records, (rules, batch) => {
        const mapping = makeMapping(rules);
        let dry = emptyCounters();
        let live = emptyCounters();
        let liveWriteFailures = 0;
        for (const { source, destination, writeOk } of batch) {
          const dryDecision = decide(mapping, source, destination);
          const liveDecision = decide(mapping, source, destination);
          expect(liveDecision).toEqual(dryDecision);
          const dryAction = finalAction(dryDecision, "dry");
          const liveAction = finalAction(liveDecision, "live", writeOk);
          expect(dryAction === "would_update").toBe(liveDecision.kind === "write");
          expect(liveAction).toBe(liveDecision.kind === "write" ? (writeOk ? "updated" : "failed") : dryAction);
          if (liveDecision.kind === "write" && !writeOk) liveWriteFailures += 1;
          dry = applyOutcome(dry, dryAction);
          live = applyOutcome(live, liveAction);
        }
        expect(dry.would_update).toBe(live.updated + liveWriteFailures);
        expect(checkInvariant(dry)).toEqual({ ok: true });
        expect(checkInvariant(live)).toEqual({ ok: true });
      }),
      { numRuns: 300 },
    );
  });

  it("a second pass over a JSON destination that received the payload writes nothing", () => {
    let writes = 0;
    fc.assert(
      fc.property(mappingRules(["update_if_changed", "never"]), sourceRecord, jsonDestination, (rules, source, destination) => {
        const mapping = makeMapping(rules);
        const first = decide(mapping, source, destination);
        if (first.kind !== "write") return;
        writes += 1;
        const applied = applyPayload(destination, JSON.parse(JSON.stringify(first.payload)) as Record<string, unknown>);
        const second = decide(mapping, source, applied);
        expect(second.kind).toBe("skipped_no_change");
        expect(second.changes.every((change) => !change.written)).toBe(true);
      }),
      { numRuns: 1000 },
    );
    // Guards against generators drifting to inputs that never reach a write.
    expect(writes).toBeGreaterThan(100);
  });

  it("a second pass over an XML destination that received the XML payload writes nothing", () => {
    let writes = 0;
    fc.assert(
      fc.property(mappingRules(["update_if_changed", "never"]), sourceRecord, xmlDestination, (rules, source, destination) => {
        const mapping = makeMapping(rules, { payloadFormat: "xml", destinationFormat: "xml" });
        const first = decide(mapping, source, destination);
        if (first.kind !== "write") return;
        writes += 1;
        const parsed = parseXml(buildXml("device", first.payload)).device;
        const applied = applyPayload(destination, parsed as Record<string, unknown>);
        const second = decide(mapping, source, applied);
        expect(second.kind).toBe("skipped_no_change");
        expect(second.changes.every((change) => !change.written)).toBe(true);
      }),
      { numRuns: 1000 },
    );
    // Guards against generators drifting to inputs that never reach a write.
    expect(writes).toBeGreaterThan(100);
  });

  it("never puts a never field in a payload, and every written change is in the payload", () => {
    fc.assert(
      fc.property(mappingRules(["update_if_changed", "always", "never"]), sourceRecord, jsonDestination, (rules, source, destination) => {
        const mapping = makeMapping(rules);
        const decision: Decision = decide(mapping, source, destination);
        const never = new Set(rules.filter((r) => r.action === "never").map((r) => r.destination));
        const payloadKeys = decision.payload === null ? [] : flatKeys(decision.payload);
        for (const key of payloadKeys) expect(never.has(key)).toBe(false);
        for (const change of decision.changes) expect(payloadKeys.includes(change.field)).toBe(change.written);
      }),
      { numRuns: 500 },
    );
  });
});

function flatKeys(value: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(value).flatMap(([key, child]) =>
    typeof child === "object" && child !== null ? flatKeys(child as Record<string, unknown>, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}
