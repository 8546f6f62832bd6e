import { describe, expect, it } from "vitest";
import { compileMappingFor, finalAction, reconcile, RECORD_ACTIONS, type Decision } from "../../worker/engine/reconcile";
import { makeConfig, makeDevice, makeMapping } from "./factories";
import type { FieldRuleInput } from "../../worker/engine/contracts";
import type { CompileMappingOptions } from "../../worker/engine/reconcile";

function decide(
  rules: Partial<FieldRuleInput>[],
  source: Record<string, unknown> | null,
  destination: Record<string, unknown> | null,
  options: CompileMappingOptions = {},
): Decision {
  return reconcile({ serial: "SN-0001", source, destination, rules: makeMapping(rules, options) });
}

describe("reconciling one record", () => {
  it("is missing_source when the source record is absent", () => {
    expect(decide([{}], null, makeDevice())).toMatchObject({ kind: "missing_source", payload: null, changes: [] });
  });

  it("is missing_source when a required field is absent or null, naming the field", () => {
    const rules = [
      { source: "name", destination: "name" },
      { source: "site.code", destination: "site", required: true },
    ];
    const absent = decide(rules, makeDevice(), makeDevice());
    expect(absent).toMatchObject({ kind: "missing_source", reason: 'required source "site.code" is absent' });
    expect(decide(rules, makeDevice({ site: { code: null } }), makeDevice()).kind).toBe("missing_source");
    expect(decide(rules, makeDevice({ site: { code: "" } }), makeDevice()).kind).toBe("write");
  });

  it("checks the source before the destination", () => {
    expect(decide([{ required: true, source: "gone" }], makeDevice(), null).kind).toBe("missing_source");
  });

  it("is missing_destination when the lookup found nothing", () => {
    expect(decide([{}], makeDevice(), null)).toMatchObject({ kind: "missing_destination", payload: null });
  });

  it("writes only the update_if_changed fields that differ", () => {
    const decision = decide(
      [
        { source: "name", destination: "name" },
        { source: "status", destination: "state" },
      ],
      makeDevice({ name: "Pump 2", status: "active" }),
      { name: "Pump 1", state: "active" },
    );
    expect(decision.kind).toBe("write");
    expect(decision.payload).toEqual({ name: "Pump 2" });
    expect(decision.changes).toEqual([{ field: "name", before: "Pump 1", after: "Pump 2", written: true }]);
  });

  it("reads and writes fields whose names need quoting, as a CSV header or an Airtable record names them", () => {
    const decision = decide(
      [
        { source: '["Display Name"]', destination: 'fields["Display Name"]' },
        { source: '["Battery %"]', destination: 'fields["Battery (%)"]', formatter: "integer" },
      ],
      { "Display Name": "Pump 2", "Battery %": "87" },
      { fields: { "Display Name": "Pump 1", "Battery (%)": 87 } },
    );
    expect(decision.kind).toBe("write");
    expect(decision.payload).toEqual({ fields: { "Display Name": "Pump 2" } });
    expect(decision.changes).toEqual([{ field: 'fields["Display Name"]', before: "Pump 1", after: "Pump 2", written: true }]);
  });

  it("is skipped_no_change when every writable field already matches after formatting", () => {
    const decision = decide(
      [
        { source: "temperature", destination: "temp", formatter: "number" },
        { source: "name", destination: "name" },
      ],
      makeDevice({ temperature: 21.5 }),
      { temp: "21.50", name: "Pump 1" },
    );
    expect(decision).toMatchObject({ kind: "skipped_no_change", payload: null, changes: [] });
  });

  it("always puts an always field in the payload and writes, even when it matches", () => {
    const decision = decide(
      [
        { source: "name", destination: "name" },
        { source: "status", destination: "state", action: "always" },
      ],
      makeDevice(),
      { name: "Pump 1", state: "active" },
    );
    expect(decision.kind).toBe("write");
    expect(decision.payload).toEqual({ state: "active" });
    expect(decision.changes).toEqual([]);
  });

  it("reports a never field's difference but never writes it", () => {
    const decision = decide(
      [
        { source: "name", destination: "name", action: "never" },
        { source: "status", destination: "state" },
      ],
      makeDevice({ name: "New" }),
      { name: "Old", state: "active" },
    );
    expect(decision.kind).toBe("skipped_no_change");
    expect(decision.payload).toBeNull();
    expect(decision.changes).toEqual([{ field: "name", before: "Old", after: "New", written: false }]);
  });

  it("keeps a never field out of the payload of a write", () => {
    const decision = decide(
      [
        { source: "name", destination: "name", action: "never" },
        { source: "status", destination: "state" },
      ],
      makeDevice({ name: "New", status: "retired" }),
      { name: "Old", state: "active" },
    );
    expect(decision.payload).toEqual({ state: "retired" });
    expect(decision.changes.map((c) => [c.field, c.written])).toEqual([
      ["name", false],
      ["state", true],
    ]);
  });

  it("is skipped_rule when only never rules exist", () => {
    expect(decide([{ action: "never" }], makeDevice({ name: "New" }), { name: "Old" }).kind).toBe("skipped_rule");
  });

  it("leaves the destination alone for a null source value with on_null skip", () => {
    const decision = decide(
      [
        { source: "name", destination: "name" },
        { source: "status", destination: "state" },
      ],
      makeDevice({ name: null, status: "active" }),
      { name: "Pump 1", state: "active" },
    );
    expect(decision).toMatchObject({ kind: "skipped_no_change", changes: [] });
  });

  it("is skipped_rule when every field was null-protected", () => {
    const decision = decide(
      [
        { source: "name", destination: "name" },
        { source: "gone", destination: "x" },
      ],
      makeDevice({ name: null }),
      {
        name: "Pump 1",
      },
    );
    expect(decision).toMatchObject({ kind: "skipped_rule", payload: null, changes: [] });
  });

  it("writes null with on_null write_null when the destination holds a value", () => {
    const decision = decide([{ on_null: "write_null" }], makeDevice({ name: null }), { name: "Pump 1" });
    expect(decision.payload).toEqual({ name: null });
    expect(decision.changes).toEqual([{ field: "name", before: "Pump 1", after: null, written: true }]);
  });

  it("treats an absent source value like null for write_null", () => {
    expect(decide([{ source: "gone", on_null: "write_null" }], makeDevice(), { name: "x" }).payload).toEqual({ name: null });
  });

  it("sees null and an absent destination field as already null", () => {
    expect(decide([{ on_null: "write_null" }], makeDevice({ name: null }), { name: null }).kind).toBe("skipped_no_change");
    expect(decide([{ on_null: "write_null" }], makeDevice({ name: null }), {}).kind).toBe("skipped_no_change");
  });

  it("writes null for an always field with write_null even when the destination is empty", () => {
    const decision = decide([{ on_null: "write_null", action: "always" }], makeDevice({ name: null }), {});
    expect(decision).toMatchObject({ kind: "write", payload: { name: null }, changes: [] });
  });

  it("fails the record with a message naming the field when a value cannot be formatted", () => {
    const decision = decide([{ source: "temperature", destination: "temp", formatter: "number" }], makeDevice({ temperature: "abc" }), {
      temp: 1,
    });
    expect(decision).toMatchObject({ kind: "failed", payload: null });
    expect(decision.error).toBe('field "temp" (source "temperature"): cannot format "abc" as number');
  });

  it("overwrites a destination value that the formatter cannot read", () => {
    const decision = decide([{ source: "temperature", destination: "temp", formatter: "number" }], makeDevice(), { temp: "n/a" });
    expect(decision).toMatchObject({ kind: "write", payload: { temp: 21.5 } });
  });

  it("builds nested payloads from destination dot paths and compares there", () => {
    const decision = decide(
      [
        { source: "name", destination: "info.name" },
        { source: "status", destination: "info.state" },
        { source: "serial", destination: "id" },
      ],
      makeDevice({ name: "B" }),
      { info: { name: "A", state: "active" }, id: "SN-0001" },
    );
    expect(decision.payload).toEqual({ info: { name: "B" } });
    expect(decision.changes).toEqual([{ field: "info.name", before: "A", after: "B", written: true }]);
  });

  it("lists a field missing from the destination with before null", () => {
    expect(decide([{}], makeDevice(), {}).changes).toEqual([{ field: "name", before: null, after: "Pump 1", written: true }]);
  });

  it("renders template fields from the whole source record", () => {
    const rules = [{ destination: "label", formatter: "template" as const, options: { template: "{name} ({site.code})" } }];
    const decision = decide(rules, makeDevice({ site: { code: "A1" } }), { label: "old" });
    expect(decision.payload).toEqual({ label: "Pump 1 (A1)" });
  });

  it("treats a template with a missing placeholder as a null value", () => {
    const rules = [{ destination: "label", formatter: "template" as const, options: { template: "{name} ({site.code})" } }];
    expect(decide(rules, makeDevice(), { label: "old" }).kind).toBe("skipped_rule");
    expect(decide([{ ...rules[0], required: true }], makeDevice(), { label: "old" }).kind).toBe("missing_source");
  });

  it("fails a template whose placeholder holds an object", () => {
    const rules = [{ destination: "label", formatter: "template" as const, options: { template: "{site}" } }];
    expect(decide(rules, makeDevice({ site: { code: "A1" } }), {}).error).toMatch(/field "label".*list or an object/);
  });

  it("writes the default constant for a null source", () => {
    const rules = [{ source: "site", destination: "site", formatter: "default" as const, options: { default: "unassigned" } }];
    expect(decide(rules, makeDevice(), { site: "HQ" }).payload).toEqual({ site: "unassigned" });
    expect(decide(rules, makeDevice(), { site: "unassigned" }).kind).toBe("skipped_no_change");
  });

  it("maps enum values and compares the mapped value", () => {
    const rules = [{ source: "status", destination: "state", formatter: "map" as const, options: { map: { active: 1, retired: 0 } } }];
    expect(decide(rules, makeDevice(), { state: "1" }).kind).toBe("skipped_no_change");
    expect(decide(rules, makeDevice({ status: "retired" }), { state: 1 }).payload).toEqual({ state: 0 });
    expect(decide(rules, makeDevice({ status: "lost" }), { state: 1 }).kind).toBe("failed");
  });

  it("compares iso dates as instants", () => {
    const rules = [{ source: "seen", destination: "seen", formatter: "iso_date" as const }];
    expect(decide(rules, makeDevice({ seen: "2024-05-01T12:00:00+02:00" }), { seen: "2024-05-01T10:00:00Z" }).kind).toBe("skipped_no_change");
  });
});

describe("reconciling against an XML destination", () => {
  const xml: CompileMappingOptions = { destinationFormat: "xml", payloadFormat: "xml" };

  it("compares numbers and booleans kept as strings by the parser", () => {
    const rules = [
      { source: "temperature", destination: "temp", formatter: "number" as const },
      { source: "on", destination: "on", formatter: "boolean" as const },
    ];
    expect(decide(rules, makeDevice({ on: true }), { temp: "21.5", on: "true" }, xml).kind).toBe("skipped_no_change");
  });

  it("reads an empty element as null", () => {
    expect(decide([{ on_null: "write_null" }], makeDevice({ name: null }), { name: "" }, xml).kind).toBe("skipped_no_change");
    expect(decide([{}], makeDevice({ name: "" }), { name: "" }, xml).kind).toBe("skipped_no_change");
  });

  it("reads the text of an element that has attributes", () => {
    expect(decide([{}], makeDevice(), { name: { "#text": "Pump 1", "@lang": "en" } }, xml).kind).toBe("skipped_no_change");
  });

  it("fails a record whose text XML cannot carry, in dry and live alike", () => {
    const decision = decide([{}], makeDevice({ name: "bad\u0001" }), { name: "x" }, xml);
    expect(decision).toMatchObject({ kind: "failed" });
    expect(decision.error).toBe('field "name": character U+0001 cannot be sent in XML');
  });
});

describe("compiling a mapping for a connection", () => {
  it("takes the payload format from the update contract and the destination format from the fetch contract", () => {
    const config = makeConfig({
      update: { method: "PUT", url_template: "https://dest.example/{id}", formatter: "xml", xml_root: "device" },
      fetch: { mode: "per_serial", url_template: "https://dest.example/{serial}", serial_path: "serial", format: "xml" },
    });
    expect(compileMappingFor(config)).toMatchObject({ payloadFormat: "xml", destinationFormat: "xml" });
  });
});

describe("the final action of a decision", () => {
  const decision = (kind: Decision["kind"]): Decision => ({ serial: "s", kind, changes: [], payload: kind === "write" ? {} : null });

  it("is would_update for a write in a dry run and updated or failed in a live run", () => {
    expect(finalAction(decision("write"), "dry")).toBe("would_update");
    expect(finalAction(decision("write"), "live", true)).toBe("updated");
    expect(finalAction(decision("write"), "live", false)).toBe("failed");
  });

  it("is the decision's own kind for everything else, in both modes", () => {
    for (const kind of ["skipped_rule", "skipped_no_change", "missing_source", "missing_destination", "failed"] as const) {
      expect(finalAction(decision(kind), "dry")).toBe(kind);
      expect(finalAction(decision(kind), "live")).toBe(kind);
    }
  });

  it("needs the write result for a live write", () => {
    expect(() => finalAction(decision("write"), "live")).toThrow(/needs the write result/);
  });

  it("only ever yields a declared record action", () => {
    expect(RECORD_ACTIONS).toContain(finalAction(decision("write"), "dry"));
  });
});
