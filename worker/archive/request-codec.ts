import type { RequestPhase } from "../engine/errors";
import type { HeaderMap, RequestRetryReason } from "../engine/http-client";
import { CHUNK_FORMAT_VERSION, fromNdjson, gzip, toNdjson } from "./chunk-codec";

// A request chunk: gzip NDJSON like the outcome and log chunks (chunk-codec.ts), one short-keyed line per
// attempt in seq order. The time is an offset from the header's, and what is usual is left out (attempt 1,
// no retry reason, no error, no body, no serials, not truncated), so a lookup costs little beyond its URL.
// "c" (the concurrency in force when sent) is absent from entries archived before it existed and from token requests.
//
//   {"v":1,"t":1764979200000}
//   {"q":1,"o":0,"p":"lookup","m":"GET","u":"https://…/SN-1","h":{"accept":"application/json"},"s":200,"l":41,"c":6,"n":["SN-1"],"B":"{…}"}
//   {"q":2,"o":52,"p":"update","m":"PATCH","u":"…","h":{…},"b":"{…}","s":503,"l":12,"c":6,"H":{"retry-after":"1"}}
//   {"q":3,"o":310,"p":"update","m":"PATCH","u":"…","h":{…},"b":"{…}","s":200,"l":15,"c":3,"a":2,"r":"server_error"}

export interface ArchivedRequest {
  seq: number;
  at: number;
  phase: RequestPhase;
  method: string;
  url: string;
  request_headers: HeaderMap;
  request_body: string | null;
  status: number | null;
  duration_ms: number;
  attempt: number;
  retry_reason: RequestRetryReason | null;
  // How many requests the job allowed in flight when this one was sent; null when not known (older entries, token requests).
  concurrency: number | null;
  error: string | null;
  response_headers: HeaderMap;
  response_body: string | null;
  serials: string[];
  truncated: boolean;
}

interface RequestLine {
  q: number;
  o: number;
  p: RequestPhase;
  m: string;
  u: string;
  h?: HeaderMap;
  b?: string;
  s?: number;
  l: number;
  c?: number;
  a?: number;
  r?: RequestRetryReason;
  e?: string;
  H?: HeaderMap;
  B?: string;
  n?: string[];
  x?: 1;
}

const hasKeys = (map: HeaderMap) => Object.keys(map).length > 0;

export async function encodeRequests(requests: readonly ArchivedRequest[]): Promise<Uint8Array> {
  const sorted = [...requests].sort((a, b) => a.seq - b.seq);
  const base = sorted[0]?.at ?? 0;
  const lines = sorted.map((r) => {
    const line: RequestLine = { q: r.seq, o: r.at - base, p: r.phase, m: r.method, u: r.url, l: r.duration_ms };
    if (hasKeys(r.request_headers)) line.h = r.request_headers;
    if (r.request_body !== null) line.b = r.request_body;
    if (r.status !== null) line.s = r.status;
    if (r.concurrency !== null) line.c = r.concurrency;
    if (r.attempt !== 1) line.a = r.attempt;
    if (r.retry_reason !== null) line.r = r.retry_reason;
    if (r.error !== null) line.e = r.error;
    if (hasKeys(r.response_headers)) line.H = r.response_headers;
    if (r.response_body !== null) line.B = r.response_body;
    if (r.serials.length > 0) line.n = r.serials;
    if (r.truncated) line.x = 1;
    return JSON.stringify(line);
  });
  return gzip(toNdjson({ v: CHUNK_FORMAT_VERSION, t: base }, lines));
}

export async function decodeRequests(bytes: Uint8Array | ArrayBuffer): Promise<ArchivedRequest[]> {
  const { header, lines } = await fromNdjson(bytes);
  return lines.map((text) => {
    const line = JSON.parse(text) as RequestLine;
    return {
      seq: line.q,
      at: header.t + line.o,
      phase: line.p,
      method: line.m,
      url: line.u,
      request_headers: line.h ?? {},
      request_body: line.b ?? null,
      status: line.s ?? null,
      duration_ms: line.l,
      attempt: line.a ?? 1,
      retry_reason: line.r ?? null,
      concurrency: line.c ?? null,
      error: line.e ?? null,
      response_headers: line.H ?? {},
      response_body: line.B ?? null,
      serials: line.n ?? [],
      truncated: line.x === 1,
    };
  });
}
