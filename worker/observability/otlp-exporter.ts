import { decryptSecret, SECRET_BINDINGS } from "../auth/secrets";
import type { Env } from "../env";
import { readTelemetrySetting } from "../ledger/config-settings";
import { log } from "./log";
import { encodeMetrics, encodeTraces, type Resource } from "./otlp-json";
import type { TelemetryBatch } from "./telemetry-batch";

// Sends one invocation's batch to the configured OTLP/HTTP receiver: traces and metrics as JSON, each once.
// Callers hand the returned promise to waitUntil; it never rejects, so an export can neither fail nor hold a run.

export interface ExportConfig {
  endpoint: string;
  headers: Record<string, string>;
  resource: Resource;
}

// The setting is read at most this often per isolate; a PUT in this isolate forgets it at once.
const CONFIG_TTL_MS = 30_000;
// A receiver that does not answer is given up on after this long; the next batch tries afresh.
export const EXPORT_TIMEOUT_MS = 10_000;
// At most one failure line per isolate in this window, with the count of those left out.
const FAILURE_LOG_EVERY_MS = 60_000;

// `off` is true once a fresh read found export turned off: callers then skip recording altogether.
let cached: { at: number; config: Promise<ExportConfig | null>; off: boolean } | null = null;
const failures = { loggedAt: -Infinity, unlogged: 0 };

export function forgetTelemetryConfig(): void {
  cached = null;
}

async function loadConfig(env: Pick<Env, "LEDGER" | "SECRETS_KEY">): Promise<ExportConfig | null> {
  const stored = await readTelemetrySetting(env.LEDGER);
  if (stored.endpoint === null) return null;
  const headers: Record<string, string> = {};
  for (const header of stored.headers) {
    headers[header.name] = await decryptSecret(env, header.value_ciphertext, SECRET_BINDINGS.telemetryHeader(header.name));
  }
  return { endpoint: stored.endpoint.replace(/\/+$/, ""), headers, resource: { serviceName: stored.service_name } };
}

export function telemetryConfig(env: Pick<Env, "LEDGER" | "SECRETS_KEY">, now: number = Date.now()): Promise<ExportConfig | null> {
  if (cached === null || now - cached.at > CONFIG_TTL_MS) {
    const config = loadConfig(env);
    const entry = { at: now, config, off: false };
    cached = entry;
    config.then(
      (loaded) => {
        entry.off = loaded === null;
      },
      // A failed read is not kept: the next batch reads again.
      () => {
        if (cached === entry) cached = null;
      },
    );
  }
  return cached.config;
}

/** True when this isolate knows, from a fresh read, that export is off: nothing need be recorded. */
export function telemetryOff(now: number = Date.now()): boolean {
  return cached !== null && cached.off && now - cached.at <= CONFIG_TTL_MS;
}

/** Reads the setting again when the cached read is stale, so telemetryOff() notices export being turned on. */
export function refreshTelemetryConfig(env: Pick<Env, "LEDGER" | "SECRETS_KEY">): Promise<void> {
  return telemetryConfig(env).then(
    () => undefined,
    (error: unknown) => reportFailure(error, []),
  );
}

export async function exportTelemetry(env: Pick<Env, "LEDGER" | "SECRETS_KEY">, batch: TelemetryBatch): Promise<void> {
  if (batch.empty) return;
  try {
    const config = await telemetryConfig(env);
    if (config === null) return;
    const sends: Array<Promise<void>> = [];
    if (batch.spans.length > 0) sends.push(post(config, "/v1/traces", encodeTraces(config.resource, batch.spans)));
    const metrics = batch.metricData();
    if (metrics.length > 0) sends.push(post(config, "/v1/metrics", encodeMetrics(config.resource, metrics, { startMs: batch.startedAt, endMs: Date.now() })));
    const results = await Promise.allSettled(sends);
    // A receiver's refusal may echo the headers it was sent: their values are masked in the line.
    for (const result of results) if (result.status === "rejected") reportFailure(result.reason, Object.values(config.headers));
  } catch (error) {
    reportFailure(error, []);
  }
}

async function post(config: ExportConfig, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${config.endpoint}${path}`, {
    method: "POST",
    headers: { ...config.headers, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
  });
  // The body is read so the connection is released; a receiver's refusal says why in it.
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text.slice(0, 200)}`);
}

function reportFailure(error: unknown, secrets: readonly string[]): void {
  const now = Date.now();
  if (now - failures.loggedAt < FAILURE_LOG_EVERY_MS) {
    failures.unlogged += 1;
    return;
  }
  log.with({}, () => secrets).warn("telemetry: export to the OTLP endpoint failed; this batch is dropped", { error, failures_not_logged: failures.unlogged });
  failures.loggedAt = now;
  failures.unlogged = 0;
}
