/// <reference types="node" />
import { resolve } from "node:path";
import { Worker } from "node:worker_threads";

// Starts bench/support/loopback-fleet.mjs (a destination fleet on 127.0.0.1) in its own thread. The path is
// taken from the working directory: benches run from the project root, as a bundle elsewhere.

export interface LoopbackFleet {
  url: string;
  /** Those devices drift from the source; with fail, their updates answer 503 until drifted again without. */
  drift(serials: string[], fail: boolean): Promise<void>;
  /** Bulk batches (POST /devices/bulk) holding any of these serials answer 422 from now on (replaces the set). */
  refuse(serials: string[]): Promise<void>;
  /** Requests per kind since the last call (which resets them); busy_ms ÷ a wall time is the mean in flight;
   in_flight_ms[n]: milliseconds with exactly n requests in flight, from the first request to the last answer. */
  counts(): Promise<FleetCounts>;
  close(): Promise<void>;
}

export interface FleetCounts {
  list: number;
  get: number;
  put: number;
  rejected: number;
  other: number;
  busy_ms: number;
  max_in_flight: number;
  in_flight_ms: number[];
  /** [ms since the first request, length in ms] of each stretch of 20 ms or more with nothing in flight (the first 500). */
  idle_gaps: Array<[number, number]>;
  /** Bulk requests, the records they applied, and those answered 422. */
  bulk: number;
  bulk_records: number;
  bulk_rejected: number;
  /** Requests answered 429 because maxInFlight were being answered. */
  too_many: number;
  /** Durations of the bulk requests summed, and the time from the first bulk request to the last bulk answer. */
  bulk_busy_ms: number;
  bulk_span_ms: number;
}

export async function startLoopbackFleet(
  serials: string[],
  options: { latencyMs?: number; pageSize?: number; bulkRecordMs?: number; maxInFlight?: number } = {},
): Promise<LoopbackFleet> {
  const thread = new Worker(resolve("bench/support/loopback-fleet.mjs"), { workerData: { serials, ...options } });
  const port = await new Promise<number>((done, fail) => {
    thread.once("message", (message: { port: number }) => done(message.port));
    thread.once("error", fail);
  });
  const url = `http://127.0.0.1:${port}`;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    url,
    drift: async (drifted, fail) => void (await call("POST", "/__drift", { serials: drifted, fail })),
    refuse: async (refused) => void (await call("POST", "/__refuse", { serials: refused })),
    counts: () => call("DELETE", "/__counts"),
    close: async () => void (await thread.terminate()),
  };
}
