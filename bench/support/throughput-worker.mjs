// The real worker (worker/index.ts) as the throughput bench runs it inside workerd, with one addition: the
// same-run baseline, POST /__bench/plain { concurrency, sequences: [[{ method, url, body? }, …], …], first?: [{ … }] }
// sends `first` one after another (a listing's pages), then each sequence's requests in order, sequences
// `concurrency` at a time, with a bare fetch loop in this isolate and no
// engine around it: one PUT per record, a GET then a PUT, or one bulk request. The gap between a run and this
// is the coordinator's own cost. Answers { wall_ms, first_ms, requests, statuses: { "200": n, … } } (first_ms: the `first` requests' time). GET /__bench/phases?run=ID
// answers the run coordinator's time per phase.
import { DurableObject } from "cloudflare:workers";
import worker from "../../worker/index";

export * from "../../worker/index";

async function plain({ concurrency, sequences, first = [] }) {
  const statuses = {};
  let next = 0;
  let requests = 0;
  const started = Date.now();
  const send = async ({ method, url, body }) => {
    const response = await fetch(url, {
      method,
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body }),
    });
    await response.arrayBuffer();
    requests += 1;
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
  };
  const sender = async () => {
    for (;;) {
      const sequence = sequences[next++];
      if (sequence === undefined) return;
      for (const request of sequence) await send(request);
    }
  };
  // Requests the run must make before any other, one after another (a listing's pages).
  for (const request of first) await send(request);
  const first_ms = Date.now() - started;
  await Promise.all(Array.from({ length: concurrency }, sender));
  return { wall_ms: Date.now() - started, first_ms, requests, statuses };
}

// The same loop inside a Durable Object, where the run's coordinator works: what the platform alone adds to a
// plain loop (input and output gates, the object's event delivery), printed beside the figures, never a target.
export class BenchPlainLoop extends DurableObject {
  async fetch(request) {
    return Response.json(await plain(await request.json()));
  }
}

export default {
  ...worker,
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/plain" && request.method === "POST") {
      if (url.searchParams.get("in") === "object") return env.BENCH_PLAIN.get(env.BENCH_PLAIN.idFromName("plain")).fetch(request);
      return Response.json(await plain(await request.json()));
    }
    // Where a run's coordinator spent its time (RunCoordinator.phases()), read after the run.
    if (url.pathname === "/__bench/phases" && request.method === "GET") {
      const runId = url.searchParams.get("run") ?? "";
      return Response.json(await env.RUN_COORDINATOR.get(env.RUN_COORDINATOR.idFromName(runId)).phases());
    }
    return worker.fetch(request, env, ctx);
  },
};
