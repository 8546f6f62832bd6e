import { describe, expect, it } from "vitest";
import { validateConnectionConfig } from "../../../worker/engine/contracts";
import { compileMapping, finalAction, reconcile, type RecordAction } from "../../../worker/engine/reconcile";
import { parseXml } from "../../../worker/engine/xml";
import { DEMO_CONNECTIONS } from "../../../worker/sandbox/demo-connections";
import {
  DEMO_ALLOWED_FIELDS,
  DEMO_EXPECTATIONS,
  DEMO_FIELD_RULES,
  DEMO_SINGLE_SERIAL,
  demoExampleSerials,
  demoExpectedOutcomes,
  demoFleetDevices,
  demoSourceDevices,
  type FleetDevice,
} from "../../../worker/sandbox/demo-data";
import { toXmlDocument } from "../../../worker/sandbox/device-xml";

type DestinationView = (device: FleetDevice) => Record<string, unknown>;

// What a dry full run over the demo data decides per serial, through the engine's own reconciliation.
function dryRunActions(view: DestinationView, destinationFormat: "json" | "xml"): Map<string, RecordAction> {
  const rules = compileMapping(DEMO_FIELD_RULES, { destinationFormat });
  const fleet = new Map(demoFleetDevices().map((d) => [d.serial, d]));
  const actions = new Map<string, RecordAction>();
  for (const source of demoSourceDevices()) {
    const device = fleet.get(source.serial);
    const decision = reconcile({
      serial: source.serial,
      source: { ...source },
      destination: device === undefined ? null : view(device),
      rules,
    });
    actions.set(source.serial, finalAction(decision, "dry"));
  }
  return actions;
}

function countActions(actions: Map<string, RecordAction>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const action of actions.values()) counts[action] = (counts[action] ?? 0) + 1;
  return counts;
}

describe("demo dataset", () => {
  it("is the same on every call, so counters can be asserted exactly", () => {
    expect(demoSourceDevices()).toEqual(demoSourceDevices());
    expect(demoFleetDevices()).toEqual(demoFleetDevices());
  });

  it("has 500 source serials from DEV-00001 and a fleet with some serials missing on either side", () => {
    const source = demoSourceDevices();
    const fleet = demoFleetDevices();
    expect(source).toHaveLength(DEMO_EXPECTATIONS.source_records);
    expect(source[0]!.serial).toBe("DEV-00001");
    expect(new Set(source.map((d) => d.serial)).size).toBe(500);
    expect(fleet).toHaveLength(DEMO_EXPECTATIONS.fleet_devices);
    expect(new Set(fleet.map((d) => d.id)).size).toBe(fleet.length);

    const sourceSerials = new Set(source.map((d) => d.serial));
    const fleetSerials = new Set(fleet.map((d) => d.serial));
    expect(source.filter((d) => !fleetSerials.has(d.serial))).toHaveLength(DEMO_EXPECTATIONS.full_run.missing_destination);
    expect(fleet.filter((d) => !sourceSerials.has(d.serial))).toHaveLength(DEMO_EXPECTATIONS.destination_only);
    expect(source.filter((d) => d.name === undefined || d.site === undefined)).toHaveLength(DEMO_EXPECTATIONS.full_run.missing_source);
    expect(source.filter((d) => d.battery_pct === null)).toHaveLength(DEMO_EXPECTATIONS.null_battery);
  });

  it("gives the engine exactly the expected dry-run counters and per-serial outcomes", () => {
    const actions = dryRunActions((d) => ({ ...d }), "json");
    const { in_scope: inScope, ...expected } = DEMO_EXPECTATIONS.full_run;
    expect(actions.size).toBe(inScope);
    expect(countActions(actions)).toEqual(expected);
    expect(actions).toEqual(demoExpectedOutcomes());
    expect(actions.get(DEMO_SINGLE_SERIAL)).toBe("would_update");
  });

  it("decides the same when the destination is read as XML text", () => {
    const viaXml = dryRunActions((d) => parseXml(toXmlDocument("device", { ...d })).device as Record<string, unknown>, "xml");
    expect(viaXml).toEqual(demoExpectedOutcomes());
  });

  it("names one example serial per outcome", () => {
    const examples = demoExampleSerials();
    const outcomes = demoExpectedOutcomes();
    expect(outcomes.get(examples.skipped_no_change)).toBe("skipped_no_change");
    expect(outcomes.get(examples.missing_source)).toBe("missing_source");
    expect(outcomes.get(examples.missing_destination)).toBe("missing_destination");
    expect(outcomes.has(examples.destination_only)).toBe(false);
    expect(demoFleetDevices().some((d) => d.serial === examples.destination_only)).toBe(true);
  });

  it("maps only to fields the sandbox destination accepts", () => {
    const allowed = new Set<string>(DEMO_ALLOWED_FIELDS);
    expect(DEMO_FIELD_RULES.filter((r) => !allowed.has(r.destination))).toEqual([]);
  });

  it("ships demo connections whose contracts validate", () => {
    expect(DEMO_CONNECTIONS).toHaveLength(3);
    for (const connection of DEMO_CONNECTIONS) {
      const result = validateConnectionConfig(connection.config);
      expect(result.ok ? [] : result.issues, connection.name).toEqual([]);
    }
  });
});
