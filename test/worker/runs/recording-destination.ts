import { env } from "cloudflare:test";
import { afterEach, beforeEach } from "vitest";
import type { ConnectionConfig } from "../../../worker/engine/contracts";
import { createOutboundFetch } from "../../../worker/sandbox/outbound-fetch";
import { resetWorld } from "../factories";

// A destination that writes down what it got: it sits in front of the sandbox fleet at RECORDED/<lane>/…, forwards
// each request to the sandbox path after it and keeps, per request, the bytes it received and sent back and the
// time on the worker's clock. Its log is the ground truth a run's counters are checked against. A test may answer
// a request itself (a 429, say) or hold it until the caller aborts it.

export const RECORDED = "https://recorded.example.com";
const SANDBOX = "http://localhost:8787/sandbox";

export interface ReceivedRequest {
  lane: string;
  method: string;
  // The sandbox path, e.g. /api/devices/DEV-00001.
  path: string;
  at: number;
  bytesReceived: number;
  // The request body as text.
  body: string;
  status: number | "aborted";
  bytesSent: number;
  // The W3C trace context the request carried, if any.
  traceparent: string | null;
  // The version a write was conditioned on, if any.
  ifMatch: string | null;
}

// Return a Response to answer in place of the sandbox, "hold" to keep the request open until it is aborted,
// or undefined to forward it; a promise of a Response or undefined does the same once it settles (a test may
// change the fleet first, as someone else's edit between a lookup and its write). `forward` sends the request on
// to the sandbox, so a test can let a write land and still answer something else (a gateway's 503).
export type Intercept = (request: {
  lane: string;
  method: string;
  path: string;
  seen: number;
  forward: () => Promise<Response>;
}) => Response | "hold" | undefined | Promise<Response | undefined>;

// Returns the body the sandbox gets in place of the one sent (a destination that ignores or transforms a field),
// or undefined to forward it as it came.
export type Rewrite = (request: { lane: string; method: string; path: string; body: string }) => string | undefined;

export interface RecordingDestination {
  readonly requests: ReceivedRequest[];
  intercept: Intercept;
  rewrite: Rewrite;
  // Resolves with the first request held open.
  readonly held: Promise<ReceivedRequest>;
  restore(): void;
}

// The demo connection's config with every sandbox URL moved to this destination's lane.
export function throughRecorder(config: ConnectionConfig, lane: string): ConnectionConfig {
  return JSON.parse(JSON.stringify(config).replaceAll(SANDBOX, `${RECORDED}/${lane}`)) as ConnectionConfig;
}

export function installRecordingDestination(): RecordingDestination {
  const requests: ReceivedRequest[] = [];
  const sandbox = createOutboundFetch(env);
  let markHeld: (request: ReceivedRequest) => void = () => undefined;
  const held = new Promise<ReceivedRequest>((resolve) => (markHeld = resolve));
  const destination: RecordingDestination = { requests, intercept: () => undefined, rewrite: () => undefined, held, restore: () => undefined };

  async function receive(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const [, lane = "", ...rest] = url.pathname.split("/");
    const path = `/${rest.join("/")}`;
    const body = new Uint8Array(await request.arrayBuffer());
    const entry: ReceivedRequest = {
      lane,
      method: request.method,
      path,
      at: Date.now(),
      bytesReceived: body.byteLength,
      body: new TextDecoder().decode(body),
      status: 0,
      bytesSent: 0,
      traceparent: request.headers.get("traceparent"),
      ifMatch: request.headers.get("if-match"),
    };
    const seen = requests.filter((r) => r.lane === lane && r.method === entry.method && r.path === path).length;
    requests.push(entry);
    const forward = () => {
      const rewritten = body.byteLength > 0 ? destination.rewrite({ lane, method: entry.method, path, body: new TextDecoder().decode(body) }) : undefined;
      const forwarded = rewritten ?? body;
      const headers = new Headers(request.headers);
      if (rewritten !== undefined) headers.delete("content-length");
      return sandbox(`${SANDBOX}${path}${url.search}`, { method: request.method, headers, ...(forwarded.length > 0 ? { body: forwarded } : {}) });
    };
    const intercepted = destination.intercept({ lane, method: entry.method, path, seen, forward });
    const answer = intercepted instanceof Promise ? await intercepted : intercepted;
    if (answer === "hold") {
      return new Promise<Response>((_, reject) => {
        const abort = () => {
          entry.status = "aborted";
          reject(request.signal.reason);
        };
        if (request.signal.aborted) abort();
        else request.signal.addEventListener("abort", abort, { once: true });
        markHeld(entry);
      });
    }
    const response = answer ?? (await forward());
    const sent = new Uint8Array(await response.arrayBuffer());
    entry.status = response.status;
    entry.bytesSent = sent.byteLength;
    const answered = new Headers(response.headers);
    // Next-page links name the sandbox; a proxy in front of it names itself.
    const link = answered.get("link");
    if (link !== null) answered.set("link", link.replaceAll(SANDBOX, `${RECORDED}/${lane}`));
    return new Response(sent, { status: response.status, headers: answered });
  }

  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : input.toString();
    if (!url.startsWith(`${RECORDED}/`)) return original(input, init);
    return receive(new Request(input, init));
  };
  destination.restore = () => {
    globalThis.fetch = original;
  };
  return destination;
}

export function bytesOf(requests: ReceivedRequest[]): { received: number; sent: number } {
  return {
    received: requests.reduce((sum, r) => sum + r.bytesReceived, 0),
    sent: requests.reduce((sum, r) => sum + r.bytesSent, 0),
  };
}

/**
 * A recording destination for every test of the file: each test starts from a reset world with a fresh one, and
 * it is taken down after the test. The object returned always speaks for the current test's destination.
 */
export function useRecordingDestination(): RecordingDestination {
  let current: RecordingDestination | null = null;
  beforeEach(async () => {
    await resetWorld();
    current = installRecordingDestination();
  });
  afterEach(() => current?.restore());
  const now = (): RecordingDestination => {
    if (current === null) throw new Error("the recording destination is installed before each test");
    return current;
  };
  return {
    get requests() {
      return now().requests;
    },
    get intercept() {
      return now().intercept;
    },
    set intercept(intercept: Intercept) {
      now().intercept = intercept;
    },
    get rewrite() {
      return now().rewrite;
    },
    set rewrite(rewrite: Rewrite) {
      now().rewrite = rewrite;
    },
    get held() {
      return now().held;
    },
    restore: () => now().restore(),
  };
}
