// OTLP/HTTP JSON bodies (opentelemetry-proto's JSON mapping: hex trace and span ids, nanosecond times and
// 64-bit integers as decimal strings, enums as numbers). Pure: what a batch holds in, the request body out.

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue | null | undefined>;

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;
// Every sum and histogram holds what one invocation saw: delta temporality.
const DELTA = 1;

export interface SpanData {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: keyof typeof SPAN_KIND;
  startMs: number;
  endMs: number;
  attributes: Attributes;
  status: { code: keyof typeof STATUS_CODE; message?: string };
}

export interface CounterPoint {
  attributes: Attributes;
  value: number;
}

export interface HistogramPoint {
  attributes: Attributes;
  count: number;
  sum: number;
  min: number;
  max: number;
  bucketCounts: number[];
}

export type MetricData =
  | { kind: "counter"; name: string; unit: string; description: string; points: CounterPoint[] }
  | { kind: "gauge"; name: string; unit: string; description: string; points: CounterPoint[] }
  | { kind: "histogram"; name: string; unit: string; description: string; bounds: readonly number[]; points: HistogramPoint[] };

export interface Resource {
  serviceName: string;
  attributes?: Attributes;
}

export const SCOPE = { name: "outbound-sync", version: "1" } as const;

type OtlpValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };

function otlpValue(value: AttributeValue): OtlpValue {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

export function otlpAttributes(attributes: Attributes): Array<{ key: string; value: OtlpValue }> {
  const out: Array<{ key: string; value: OtlpValue }> = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) out.push({ key, value: otlpValue(value) });
  }
  return out;
}

function nanos(ms: number): string {
  // Whole milliseconds then six zeros: exact, where ms * 1e6 as a double would not be past 2^53.
  return `${Math.max(0, Math.round(ms))}000000`;
}

function otlpResource(resource: Resource) {
  return { attributes: otlpAttributes({ "service.name": resource.serviceName, ...resource.attributes }) };
}

export function encodeTraces(resource: Resource, spans: readonly SpanData[]): unknown {
  return {
    resourceSpans: [
      {
        resource: otlpResource(resource),
        scopeSpans: [
          {
            scope: SCOPE,
            spans: spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId === null ? {} : { parentSpanId: span.parentSpanId }),
              name: span.name,
              kind: SPAN_KIND[span.kind],
              startTimeUnixNano: nanos(span.startMs),
              endTimeUnixNano: nanos(Math.max(span.startMs, span.endMs)),
              attributes: otlpAttributes(span.attributes),
              status: { code: STATUS_CODE[span.status.code], ...(span.status.message ? { message: span.status.message } : {}) },
            })),
          },
        ],
      },
    ],
  };
}

export function encodeMetrics(resource: Resource, metrics: readonly MetricData[], window: { startMs: number; endMs: number }): unknown {
  const times = { startTimeUnixNano: nanos(window.startMs), timeUnixNano: nanos(window.endMs) };
  return {
    resourceMetrics: [
      {
        resource: otlpResource(resource),
        scopeMetrics: [
          {
            scope: SCOPE,
            metrics: metrics.map((metric) => encodeMetric(metric, times)),
          },
        ],
      },
    ],
  };
}

function encodeMetric(metric: MetricData, times: { startTimeUnixNano: string; timeUnixNano: string }): unknown {
  const head = { name: metric.name, unit: metric.unit, description: metric.description };
  if (metric.kind === "counter") {
    return {
      ...head,
      sum: {
        aggregationTemporality: DELTA,
        isMonotonic: true,
        dataPoints: metric.points.map((p) => ({ attributes: otlpAttributes(p.attributes), ...times, asInt: String(p.value) })),
      },
    };
  }
  if (metric.kind === "gauge") {
    return {
      ...head,
      gauge: { dataPoints: metric.points.map((p) => ({ attributes: otlpAttributes(p.attributes), timeUnixNano: times.timeUnixNano, asInt: String(p.value) })) },
    };
  }
  return {
    ...head,
    histogram: {
      aggregationTemporality: DELTA,
      dataPoints: metric.points.map((p) => ({
        attributes: otlpAttributes(p.attributes),
        ...times,
        count: String(p.count),
        sum: p.sum,
        min: p.min,
        max: p.max,
        bucketCounts: p.bucketCounts.map(String),
        explicitBounds: [...metric.bounds],
      })),
    },
  };
}
