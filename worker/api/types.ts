// Response shapes shared with the web client (imported type-only from web/).
// Later issues replace these with types inferred from the OpenAPI schemas.

export interface HealthResponse {
  status: "ok" | "degraded";
  version: string;
  d1: { ok: boolean; latency_ms: number; error?: string };
  migrations: { applied: string[]; latest: string | null };
  sandbox: boolean;
  scheduler: { minute_tick_at: string | null; daily_tick_at: string | null };
}

export interface ConnectionSummary {
  id: string;
  name: string;
  credential_id: string;
  credential_name: string;
  position: number;
  enabled: boolean;
  dry_run: boolean;
  debug: boolean;
  schedule: string | null;
  version: number;
  updated_at: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}
