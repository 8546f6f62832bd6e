// Trace and span ids. A run's trace id, and the span ids of its run and job spans, come from its ids, so the
// spans of every alarm invocation of a run join one trace and find their parents without shared state.

function fnv1a(text: string, seed: number): string {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

// All zeros is not a valid id in OTLP.
function nonZero(hex: string): string {
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

function derived(text: string, words: number): string {
  let hex = "";
  for (let seed = 1; seed <= words; seed++) hex += fnv1a(`${seed}:${text}`, seed * 0x9e3779b9);
  return nonZero(hex);
}

/** 32 hex characters, the same for every invocation of the run. */
export function traceIdOf(runId: string): string {
  return derived(`trace:${runId}`, 4);
}

/** 16 hex characters for a span that stands for a named thing (a run, a job) across invocations. */
export function spanIdOf(kind: "run" | "job", id: string): string {
  return derived(`${kind}:${id}`, 2);
}

export function randomSpanId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return nonZero([...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join(""));
}

/** The W3C trace context header naming `spanId` as the parent, sampled: what a destination's tracing continues from. */
export function traceparentOf(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}
