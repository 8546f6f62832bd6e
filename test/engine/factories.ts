import { ConnectionConfigSchema, FieldRuleSchema, type ConnectionConfigInput, type FieldRule, type FieldRuleInput } from "../../worker/engine/contracts";
import { createHttpClient, type HttpClientOptions, type HttpEvent, type HttpLimits } from "../../worker/engine/http-client";
import { compileMapping, type CompileMappingOptions, type CompiledMapping } from "../../worker/engine/reconcile";
import { createSystemRuntime } from "../../worker/engine/runtime";

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

export function makeLimits(overrides: Partial<HttpLimits> = {}): HttpLimits {
  return { requests_per_second: 1000, concurrency: 6, timeout_ms: 2000, retry_attempts: 3, ...overrides };
}

// Real clock and timers, but backoff in milliseconds so retry tests stay fast.
export function makeClient(overrides: Partial<Omit<HttpClientOptions, "limits">> & { limits?: Partial<HttpLimits> } = {}) {
  const events: HttpEvent[] = [];
  const { limits, ...rest } = overrides;
  const client = createHttpClient({
    runtime: createSystemRuntime(),
    backoff: { base_ms: 5, max_ms: 20 },
    onEvent: (event) => events.push(event),
    ...rest,
    limits: makeLimits(limits),
  });
  return { client, events };
}
