import type { Env } from "../env";
import type { RequestAttempt, TraceContext } from "../engine/http-client";
import { RECORD_ACTIONS } from "../engine/reconcile";
import type { JobCounterValues } from "../ledger/run-rows";
import type { JobCheckpoint, RunPlan } from "../runs/coordinator-store";
import type { RunStatus } from "../schemas/vocabulary";
import { maskSecretLooking } from "./log";
import type { Attributes } from "./otlp-json";
import { exportTelemetry, refreshTelemetryConfig, telemetryOff } from "./otlp-exporter";
import { statusClass, TelemetryBatch } from "./telemetry-batch";
import { randomSpanId, spanIdOf, traceIdOf, traceparentOf } from "./trace-ids";

// A run coordinator's telemetry: one trace per run (run → job → slice → request attempt). The run and job spans
// are sent when they finish, with ids derived from their own ids, so the slices and requests of every earlier
// invocation find their parents. Each invocation's spans and metrics go out at its end, through waitUntil.

export const SPAN_NAMES = { run: "run", job: "job", slice: "slice" } as const;

export interface SliceTrace {
  request(attempt: RequestAttempt): void;
  // A request attempt's context to propagate, made before it is sent; null while export is off.
  context: (() => TraceContext) | null;
}

const UNTRACED: SliceTrace = { request: () => undefined, context: null };

interface OpenSlice {
  plan: RunPlan;
  traceId: string;
  job: JobCheckpoint;
  spanId: string;
  startMs: number;
  before: JobCounterValues;
  counters: () => JobCounterValues;
  requests: number;
}

export class RunTelemetry {
  private batch = new TelemetryBatch();
  private open: OpenSlice | null = null;

  constructor(
    private readonly env: Pick<Env, "LEDGER" | "SECRETS_KEY">,
    private readonly waitUntil: (work: Promise<unknown>) => void,
    // The coordinator's redactor: what the credential sends never leaves in a URL.
    private readonly redact: (text: string) => string,
  ) {}

  /** The slice of `job` this invocation works on; its requests are its children, `counters` gives its records. */
  slice(plan: RunPlan, job: JobCheckpoint, counters: () => JobCounterValues): SliceTrace {
    this.endSlice();
    // With export known to be off, a run pays for nothing but this check.
    if (telemetryOff()) return UNTRACED;
    const open: OpenSlice = {
      plan,
      traceId: traceIdOf(plan.run_id),
      job,
      spanId: randomSpanId(),
      startMs: Date.now(),
      before: counters(),
      counters,
      requests: 0,
    };
    this.open = open;
    return {
      request: (attempt) => this.request(open, attempt),
      context: () => {
        const spanId = randomSpanId();
        return { spanId, traceparent: traceparentOf(open.traceId, spanId) };
      },
    };
  }

  jobFinished(plan: RunPlan, job: JobCheckpoint, counters: JobCounterValues): void {
    const finish = job.progress.finish;
    this.endSlice();
    if (finish === null || telemetryOff()) return;
    this.batch.span({
      traceId: traceIdOf(plan.run_id),
      spanId: spanIdOf("job", job.plan.job_id),
      parentSpanId: spanIdOf("run", plan.run_id),
      name: SPAN_NAMES.job,
      kind: "internal",
      startMs: job.progress.started_at ?? finish.at,
      endMs: finish.at,
      attributes: {
        ...jobAttributes(plan, job),
        "outbound_sync.job.status": finish.status,
        ...Object.fromEntries(RECORD_ACTIONS.map((action) => [`outbound_sync.records.${action}`, counters[action]])),
        "outbound_sync.records.processed": counters.processed,
      },
      status: finish.status === "failed" ? { code: "error", message: finish.error?.message ?? "failed" } : { code: "ok" },
    });
  }

  runFinished(plan: RunPlan, status: RunStatus, at: number): void {
    this.endSlice();
    if (telemetryOff()) return;
    const mode = plan.jobs[0]?.mode ?? null;
    this.batch.span({
      traceId: traceIdOf(plan.run_id),
      spanId: spanIdOf("run", plan.run_id),
      parentSpanId: null,
      name: SPAN_NAMES.run,
      kind: "internal",
      startMs: plan.started_at,
      endMs: at,
      attributes: {
        "outbound_sync.run.id": plan.run_id,
        "outbound_sync.run.type": plan.type,
        "outbound_sync.run.mode": mode,
        "outbound_sync.run.status": status,
        "outbound_sync.run.serial": plan.serial,
        "outbound_sync.credential.id": plan.credential_id,
        "outbound_sync.credential.name": plan.credential_name,
        "outbound_sync.jobs": plan.jobs.length,
      },
      status: status === "failed" ? { code: "error", message: "the run failed" } : { code: "ok" },
    });
    this.batch.observe("runDuration", Math.max(0, at - plan.started_at) / 1000, { status, type: plan.type, mode });
  }

  /** Ends the open slice and hands this invocation's batch to waitUntil; never throws, never waits. */
  flush(): void {
    this.endSlice();
    if (this.batch.empty) {
      this.waitUntil(refreshTelemetryConfig(this.env));
      return;
    }
    const batch = this.batch;
    this.batch = new TelemetryBatch();
    this.waitUntil(exportTelemetry(this.env, batch));
  }

  private request(slice: OpenSlice, attempt: RequestAttempt): void {
    slice.requests += 1;
    const host = hostOf(attempt.url);
    const phase = attempt.phase ?? "update";
    const klass = statusClass(attempt.status);
    const failed = attempt.status === null || attempt.status >= 400;
    this.batch.span({
      traceId: slice.traceId,
      spanId: attempt.span_id ?? randomSpanId(),
      parentSpanId: slice.spanId,
      name: attempt.method,
      kind: "client",
      startMs: attempt.sent_at,
      endMs: attempt.sent_at + attempt.duration_ms,
      attributes: {
        "http.request.method": attempt.method,
        "url.full": this.safeUrl(attempt.url),
        "server.address": host,
        "http.response.status_code": attempt.status,
        "http.request.resend_count": attempt.attempt - 1,
        "error.type": attempt.status === null ? (attempt.error?.startsWith("timed out") ? "timeout" : "network") : failed ? String(attempt.status) : null,
        "outbound_sync.phase": phase,
        "outbound_sync.retry_reason": attempt.retry_reason,
        "outbound_sync.serials": attempt.serials?.length ?? null,
        "outbound_sync.job.id": slice.job.plan.job_id,
      },
      status: failed ? { code: "error", message: this.redact(attempt.error ?? `HTTP ${attempt.status}`) } : { code: "unset" },
    });
    const attributes: Attributes = { status_class: klass, phase, method: attempt.method, "server.address": host };
    this.batch.add("requests", 1, attributes);
    this.batch.observe("requestDuration", attempt.duration_ms, attributes);
  }

  private endSlice(): void {
    const slice = this.open;
    if (slice === null) return;
    this.open = null;
    const after = slice.counters();
    const processed = after.processed - slice.before.processed;
    if (processed === 0 && slice.requests === 0) return;
    this.batch.span({
      traceId: slice.traceId,
      spanId: slice.spanId,
      parentSpanId: spanIdOf("job", slice.job.plan.job_id),
      name: SPAN_NAMES.slice,
      kind: "internal",
      startMs: slice.startMs,
      endMs: Date.now(),
      attributes: { ...jobAttributes(slice.plan, slice.job), "outbound_sync.records.processed": processed, "outbound_sync.requests": slice.requests },
      status: { code: "unset" },
    });
    for (const action of RECORD_ACTIONS) {
      const delta = after[action] - slice.before[action];
      if (delta > 0) this.batch.add("records", delta, { action, mode: slice.job.plan.mode, connection_id: slice.job.plan.connection_id });
    }
  }

  private safeUrl(url: string): string {
    return maskSecretLooking(this.redact(url));
  }
}

function jobAttributes(plan: RunPlan, job: JobCheckpoint): Attributes {
  return {
    "outbound_sync.run.id": plan.run_id,
    "outbound_sync.job.id": job.plan.job_id,
    "outbound_sync.connection.id": job.plan.connection_id,
    "outbound_sync.connection.name": job.plan.connection_name,
    "outbound_sync.job.mode": job.plan.mode,
  };
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
