import { REQUEST_BODY_EXCERPT_DEFAULT, type RequestLogSetting } from "../schemas/requests";
import {
  DEFAULT_PLAN_TTL_HOURS,
  PLAN_DAYS,
  type ConnectionsSetting,
  type LogExportSetting,
  type PlansSetting,
  type RetentionSetting,
  type Settings,
  DEFAULT_SERVICE_NAME,
} from "../schemas/settings";
import { writeSettingStatement } from "./settings";
import { DEFAULT_PAUSE_AFTER, PAUSE_AFTER_KEY } from "./connection-pause";

// Keys in the settings table; the retention job reads the same ones.
export const CONFIG_SETTING_KEYS = {
  retention: "config.retention",
  logExport: "config.log_export",
  requestLog: "config.request_log",
  plans: "config.plans",
  telemetry: "config.telemetry",
  // A bare number, read inside the SQL that pauses a connection (connection-pause.ts).
  pauseAfterFailedRuns: PAUSE_AFTER_KEY,
} as const;

export const DEFAULT_RETENTION: RetentionSetting = { plan: "professional" };
export const DEFAULT_REQUEST_LOG: RequestLogSetting = { body_excerpt_bytes: REQUEST_BODY_EXCERPT_DEFAULT };

/** Log export as stored: an S3 secret only as ciphertext and hint. */
export type StoredLogExport =
  | Exclude<LogExportSetting, { target: "s3" }>
  | (Omit<Extract<LogExportSetting, { target: "s3" }>, "secret_hint"> & { secret_ciphertext: string; secret_hint: string });

/** OpenTelemetry export as stored: each header value only as ciphertext and hint. */
export interface StoredTelemetry {
  endpoint: string | null;
  service_name: string;
  headers: Array<{ name: string; value_ciphertext: string; value_hint: string }>;
}
export const DEFAULT_TELEMETRY: StoredTelemetry = { endpoint: null, service_name: DEFAULT_SERVICE_NAME, headers: [] };

export interface StoredConfigSettings {
  retention: RetentionSetting;
  logExport: StoredLogExport;
  requestLog: RequestLogSetting;
  plans: PlansSetting;
  connections: ConnectionsSetting;
  telemetry: StoredTelemetry;
  updatedAt: number | null;
}

export function retentionDays(retention: RetentionSetting): number {
  return retention.plan === "custom" ? (retention.custom_days ?? PLAN_DAYS.professional) : PLAN_DAYS[retention.plan];
}

export async function readConfigSettings(db: D1Database): Promise<StoredConfigSettings> {
  const { results } = await db
    .prepare("SELECT key, value_json, updated_at FROM settings WHERE key IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(Object.values(CONFIG_SETTING_KEYS)))
    .all<{ key: string; value_json: string; updated_at: number }>();
  const byKey = new Map(results.map((row) => [row.key, row]));
  const retention = byKey.get(CONFIG_SETTING_KEYS.retention);
  const logExport = byKey.get(CONFIG_SETTING_KEYS.logExport);
  const requestLog = byKey.get(CONFIG_SETTING_KEYS.requestLog);
  const plans = byKey.get(CONFIG_SETTING_KEYS.plans);
  const pauseAfter = byKey.get(CONFIG_SETTING_KEYS.pauseAfterFailedRuns);
  const telemetry = byKey.get(CONFIG_SETTING_KEYS.telemetry);
  const times = results.map((row) => row.updated_at);
  return {
    retention: retention ? (JSON.parse(retention.value_json) as RetentionSetting) : DEFAULT_RETENTION,
    logExport: logExport ? (JSON.parse(logExport.value_json) as StoredLogExport) : { target: "none" },
    requestLog: requestLog ? (JSON.parse(requestLog.value_json) as RequestLogSetting) : DEFAULT_REQUEST_LOG,
    plans: plans ? (JSON.parse(plans.value_json) as PlansSetting) : { ttl_hours: DEFAULT_PLAN_TTL_HOURS },
    connections: { pause_after_failed_runs: pauseAfter ? Number(JSON.parse(pauseAfter.value_json)) : DEFAULT_PAUSE_AFTER },
    telemetry: telemetry ? (JSON.parse(telemetry.value_json) as StoredTelemetry) : DEFAULT_TELEMETRY,
    updatedAt: times.length > 0 ? Math.max(...times) : null,
  };
}

/** The request log's setting alone, read when a job starts. */
export async function readRequestLogSetting(db: D1Database): Promise<RequestLogSetting> {
  const row = await db.prepare("SELECT value_json FROM settings WHERE key = ?1").bind(CONFIG_SETTING_KEYS.requestLog).first<{ value_json: string }>();
  return row ? (JSON.parse(row.value_json) as RequestLogSetting) : DEFAULT_REQUEST_LOG;
}

/** The telemetry setting alone, read by the exporter (cached per isolate, see otlp-exporter.ts). */
export async function readTelemetrySetting(db: D1Database): Promise<StoredTelemetry> {
  const row = await db.prepare("SELECT value_json FROM settings WHERE key = ?1").bind(CONFIG_SETTING_KEYS.telemetry).first<{ value_json: string }>();
  return row ? (JSON.parse(row.value_json) as StoredTelemetry) : DEFAULT_TELEMETRY;
}

export async function writeConfigSettings(
  db: D1Database,
  values: {
    retention?: RetentionSetting;
    logExport?: StoredLogExport;
    requestLog?: RequestLogSetting;
    plans?: PlansSetting;
    connections?: ConnectionsSetting;
    telemetry?: StoredTelemetry;
  },
  now: number,
): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  if (values.retention) statements.push(writeSettingStatement(db, CONFIG_SETTING_KEYS.retention, values.retention, now));
  if (values.logExport) statements.push(writeSettingStatement(db, CONFIG_SETTING_KEYS.logExport, values.logExport, now));
  if (values.requestLog) statements.push(writeSettingStatement(db, CONFIG_SETTING_KEYS.requestLog, values.requestLog, now));
  if (values.plans) statements.push(writeSettingStatement(db, CONFIG_SETTING_KEYS.plans, values.plans, now));
  if (values.connections) {
    statements.push(writeSettingStatement(db, CONFIG_SETTING_KEYS.pauseAfterFailedRuns, values.connections.pause_after_failed_runs, now));
  }
  if (values.telemetry) statements.push(writeSettingStatement(db, CONFIG_SETTING_KEYS.telemetry, values.telemetry, now));
  if (statements.length > 0) await db.batch(statements);
}

// The heartbeat section comes from heartbeat-url.ts.
export function toSettingsResponse(stored: StoredConfigSettings): Omit<Settings, "heartbeat"> {
  const { logExport } = stored;
  return {
    retention: {
      plan: stored.retention.plan,
      custom_days: stored.retention.custom_days ?? null,
      days: retentionDays(stored.retention),
    },
    log_export:
      logExport.target === "s3"
        ? {
            target: "s3",
            endpoint: logExport.endpoint,
            bucket: logExport.bucket,
            region: logExport.region,
            prefix: logExport.prefix,
            access_key_id: logExport.access_key_id,
            secret_hint: logExport.secret_hint,
          }
        : logExport,
    request_log: { body_excerpt_bytes: stored.requestLog.body_excerpt_bytes },
    plans: { ttl_hours: stored.plans.ttl_hours },
    connections: { pause_after_failed_runs: stored.connections.pause_after_failed_runs },
    telemetry: {
      endpoint: stored.telemetry.endpoint,
      service_name: stored.telemetry.service_name,
      headers: stored.telemetry.headers.map(({ name, value_hint }) => ({ name, value_hint })),
    },
    updated_at: stored.updatedAt === null ? null : new Date(stored.updatedAt).toISOString(),
  };
}
