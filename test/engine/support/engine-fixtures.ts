import { afterEach } from "vitest";
import { createHttpClient, type HttpClientOptions, type HttpEvent, type HttpLimits } from "../../../worker/engine/http-client";
import { createSystemRuntime } from "../../../worker/engine/runtime";
import { startLoopbackServer, type LoopbackHandler, type LoopbackServer } from "./loopback-server";

export function makeLimits(overrides: Partial<HttpLimits> = {}): HttpLimits {
  return { requests_per_second: 1000, concurrency: 6, timeout_ms: 2000, retry_attempts: 3, ...overrides };
}

// Real clock and timers, but backoff in milliseconds so retry tests stay fast.
export function makeClient(overrides: Partial<Omit<HttpClientOptions, "limits">> & { limits?: Partial<HttpLimits> } = {}) {
  const events: HttpEvent[] = [];
  const { limits, ...rest } = overrides;
  const client = createHttpClient({
    runtime: createSystemRuntime(),
    backoff: { base_ms: 5, max_ms: 20 },
    onEvent: (event) => events.push(event),
    ...rest,
    limits: makeLimits(limits),
  });
  return { client, events };
}

// Starts loopback servers for one test file and closes them after each test.
export function useLoopbackServers() {
  const open: LoopbackServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((server) => server.close()));
  });
  return async (handler: LoopbackHandler) => {
    const server = await startLoopbackServer(handler);
    open.push(server);
    return server;
  };
}

export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}
