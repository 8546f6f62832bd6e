// The real worker (worker/index.ts) as the runs-execution benchmark runs it inside workerd, with one addition:
// every D1 call is counted, per caller, so the bench can report D1 statements per 1,000 records.
// A batch of n statements counts n statements and one round trip; run/all/first/raw count one of each.
import worker, { AlertChannelSender, LiveHub, RunCoordinator as RealRunCoordinator, SandboxFleet } from "../../worker/index";

// One isolate serves the stateless worker and every Durable Object of this script locally, so a module
// global sees them all.
const tallies = new Map();

function tallyFor(name) {
  let tally = tallies.get(name);
  if (tally === undefined) {
    tally = { statements: 0, round_trips: 0, batches: 0 };
    tallies.set(name, tally);
  }
  return tally;
}

function countStatement(statement, tally) {
  for (const method of ["run", "all", "first", "raw"]) {
    const original = statement[method].bind(statement);
    statement[method] = (...args) => {
      tally.statements += 1;
      tally.round_trips += 1;
      return original(...args);
    };
  }
  const bind = statement.bind.bind(statement);
  statement.bind = (...values) => countStatement(bind(...values), tally);
  return statement;
}

function countingD1(db, tally) {
  return new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return (sql) => countStatement(target.prepare(sql), tally);
      if (property === "batch") {
        return (statements) => {
          tally.statements += statements.length;
          tally.round_trips += 1;
          tally.batches += 1;
          return target.batch(statements);
        };
      }
      if (property === "exec") {
        return (sql) => {
          tally.statements += 1;
          tally.round_trips += 1;
          return target.exec(sql);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const withCountedLedger = (env, name) => ({ ...env, LEDGER: countingD1(env.LEDGER, tallyFor(name)) });

export class RunCoordinator extends RealRunCoordinator {
  constructor(ctx, env) {
    super(ctx, withCountedLedger(env, "coordinator"));
  }
}

export { AlertChannelSender, LiveHub, SandboxFleet };

// The same-run baseline: as many PUTs as the live run sent, at the same concurrency, by a bare fetch loop in
// this isolate with no engine around it. The gap between this and the live run is the engine's own cost.
async function plainPuts({ url, serials, requests, concurrency }) {
  let next = 0;
  const started = Date.now();
  const sender = async () => {
    for (;;) {
      const n = next++;
      if (n >= requests) return;
      const serial = `SN-${String(n % serials).padStart(6, "0")}`;
      const response = await fetch(`${url}/devices/${serial}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "online", firmware: "1.0.0" }),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`plain PUT ${serial}: ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return Response.json({ wall_ms: Date.now() - started });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/d1") {
      if (request.method === "DELETE") tallies.clear();
      return Response.json(Object.fromEntries(tallies));
    }
    if (url.pathname === "/__bench/plain-puts") return plainPuts(await request.json());
    return worker.fetch(request, withCountedLedger(env, "api"), ctx);
  },
  scheduled: worker.scheduled,
  queue: worker.queue,
};
