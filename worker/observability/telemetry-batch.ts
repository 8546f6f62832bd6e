import type { Attributes, CounterPoint, HistogramPoint, MetricData, SpanData } from "./otlp-json";

// What one invocation (an alarm step, a request, a cron tick) saw: finished spans and metric points, folded
// as they come (one point per metric and attribute set), exported together at its end.

type MetricSpec =
  | { kind: "counter" | "gauge"; name: string; unit: string; description: string }
  | { kind: "histogram"; name: string; unit: string; description: string; bounds: readonly number[] };

export const METRICS = {
  records: {
    kind: "counter",
    name: "outbound_sync.records",
    unit: "{record}",
    description: "Records processed, by action (updated, would_update, skipped_no_change, failed, …), mode and connection.",
  },
  requests: {
    kind: "counter",
    name: "outbound_sync.requests",
    unit: "{request}",
    description: "Destination request attempts, by status class (2xx, 3xx, 4xx, 5xx, error), phase, method and host.",
  },
  requestDuration: {
    kind: "histogram",
    name: "outbound_sync.request.duration",
    unit: "ms",
    description: "Latency of destination request attempts, by status class, phase, method and host.",
    bounds: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000],
  },
  runDuration: {
    kind: "histogram",
    name: "outbound_sync.run.duration",
    unit: "s",
    description: "Wall time of finished runs, from start to finish, by status, type and mode.",
    bounds: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400],
  },
  queueMessages: {
    kind: "counter",
    name: "outbound_sync.queue.messages",
    unit: "{message}",
    description: "Messages handed to this worker's queue consumers, by queue.",
  },
  queueDepth: {
    kind: "gauge",
    name: "outbound_sync.queue.depth",
    unit: "{item}",
    description: "Backlogs read at the minute tick, by queue: alert_events (not yet fanned out), runs_pending, runs_running.",
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;

interface Slot {
  attributes: Attributes;
  counter: CounterPoint | null;
  histogram: HistogramPoint | null;
}

// A slice sends at most a few hundred requests; this bounds a batch (and one export body) whatever happens.
// Only request spans are left out past it: the run, job and slice spans hold the trace together.
export const MAX_SPANS_PER_BATCH = 2_000;

export class TelemetryBatch {
  readonly spans: SpanData[] = [];
  // Spans past the cap, left out (their metrics still count).
  dropped = 0;
  private readonly metrics = new Map<MetricName, Map<string, Slot>>();
  readonly startedAt: number;

  constructor(now: number = Date.now()) {
    this.startedAt = now;
  }

  get empty(): boolean {
    return this.spans.length === 0 && this.metrics.size === 0;
  }

  span(span: SpanData): void {
    if (span.kind === "client" && this.spans.length >= MAX_SPANS_PER_BATCH) this.dropped += 1;
    else this.spans.push(span);
  }

  /** A counter's increment, or a gauge's value (the last one wins). */
  add(metric: Exclude<MetricName, "requestDuration" | "runDuration">, value: number, attributes: Attributes): void {
    const slot = this.slot(metric, attributes);
    if (METRICS[metric].kind === "gauge") slot.counter = { attributes: slot.attributes, value };
    else slot.counter = { attributes: slot.attributes, value: (slot.counter?.value ?? 0) + value };
  }

  observe(metric: "requestDuration" | "runDuration", value: number, attributes: Attributes): void {
    const { bounds } = METRICS[metric];
    const slot = this.slot(metric, attributes);
    const point = (slot.histogram ??= { attributes: slot.attributes, count: 0, sum: 0, min: value, max: value, bucketCounts: bounds.map(() => 0).concat(0) });
    point.count += 1;
    point.sum += value;
    point.min = Math.min(point.min, value);
    point.max = Math.max(point.max, value);
    const bucket = bounds.findIndex((bound) => value <= bound);
    point.bucketCounts[bucket === -1 ? bounds.length : bucket]! += 1;
  }

  metricData(): MetricData[] {
    const out: MetricData[] = [];
    for (const [metric, slots] of this.metrics) {
      const spec: MetricSpec = METRICS[metric];
      const head = { name: spec.name, unit: spec.unit, description: spec.description };
      if (spec.kind === "histogram") {
        out.push({ kind: "histogram", ...head, bounds: spec.bounds, points: [...slots.values()].flatMap((s) => (s.histogram ? [s.histogram] : [])) });
      } else {
        out.push({ kind: spec.kind, ...head, points: [...slots.values()].flatMap((s) => (s.counter ? [s.counter] : [])) });
      }
    }
    return out;
  }

  private slot(metric: MetricName, attributes: Attributes): Slot {
    let slots = this.metrics.get(metric);
    if (slots === undefined) this.metrics.set(metric, (slots = new Map()));
    const key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
    let slot = slots.get(key);
    if (slot === undefined) slots.set(key, (slot = { attributes, counter: null, histogram: null }));
    return slot;
  }
}

/** "2xx" … "5xx", or "error" when no response came. */
export function statusClass(status: number | null): string {
  return status === null ? "error" : `${Math.floor(status / 100)}xx`;
}
