import type { RequestEntry } from "../../../web/src/lib/request-log";

let sequence = 0;

export function makeRequestEntry(overrides: Partial<RequestEntry> = {}): RequestEntry {
  sequence += 1;
  const serial = `DEV-${String(sequence).padStart(5, "0")}`;
  return {
    seq: sequence,
    at: "2026-11-22T12:00:01.250Z",
    phase: "lookup",
    method: "GET",
    url: `https://sandbox.example/devices/${serial}`,
    request_headers: { accept: "application/json", authorization: "[redacted]" },
    request_body: null,
    status: 200,
    duration_ms: 42,
    attempt: 1,
    retry_reason: null,
    concurrency: 6,
    error: null,
    response_headers: { "content-type": "application/json" },
    response_body: `{"serial":"${serial}","status":"active"}`,
    serials: [serial],
    truncated: false,
    bodies_hidden: false,
    ...overrides,
  };
}
