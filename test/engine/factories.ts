import {
  ConnectionConfigSchema,
  FieldRuleSchema,
  type ConnectionConfigInput,
  type FieldRule,
  type FieldRuleInput,
} from "../../worker/engine/contracts";
import { compileMapping, type CompileMappingOptions, type CompiledMapping } from "../../worker/engine/reconcile";

export function makeRule(overrides: Partial<FieldRuleInput> = {}): FieldRule {
  return FieldRuleSchema.parse({ source: "name", destination: "name", ...overrides });
}

export function makeMapping(rules: Partial<FieldRuleInput>[], options: CompileMappingOptions = {}): CompiledMapping {
  return compileMapping(rules.map(makeRule), options);
}

export function makeDevice(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { serial: "SN-0001", name: "Pump 1", status: "active", temperature: 21.5, ...overrides };
}

type ConfigOverrides = { [K in keyof ConnectionConfigInput]?: unknown };

export function makeConfigInput(overrides: ConfigOverrides = {}): Record<string, unknown> {
  return {
    source: { kind: "http", url: "https://source.example/devices", records_path: "data", serial_path: "serial" },
    fetch: { mode: "per_serial", url_template: "https://dest.example/devices/{serial}", serial_path: "serial" },
    update: { method: "PUT", url_template: "https://dest.example/devices/{id}", formatter: "json" },
    mapping: [{ source: "name", destination: "name" }],
    ...overrides,
  };
}

export function makeConfig(overrides: ConfigOverrides = {}) {
  return ConnectionConfigSchema.parse(makeConfigInput(overrides));
}
