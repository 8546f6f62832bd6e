import { abortAllDurableObjects, evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConnectionConfig } from "../../../worker/engine/contracts";
import { TERMINAL_STATUS } from "../../../worker/ledger/run-rows";
import { tuneCoordinator } from "../../../worker/runs/run-coordinator";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import {
  configureSandbox,
  coordinatorStub,
  counters,
  countersOf,
  demoConfig,
  logsOf,
  makeCredentialWith,
  outcomesOf,
  resetWorld,
  runDetail,
  runStatus,
  sandboxStats,
  startRun,
  type Counters,
} from "./run-fixtures";

// Ground truth is the sandbox fleet: it counts every write it applies, per serial, in the same storage
// transaction as the write. Each seed runs its own connection over its own serials, so one fleet serves all.
const SEEDS = 21;
const PER_SEED = 12;
const SLOW = { timeout: 120_000 };

const VARIANTS: Array<{ name: string; config: ConnectionConfig }> = [
  { name: "JSON PATCH per serial", config: demoConfig(0) },
  { name: "XML PUT per serial", config: demoConfig(1) },
  { name: "bulk POST after a listing", config: demoConfig(2, (c) => void (c.source = { kind: "dataset" })) },
];

// mulberry32: a small seeded generator, so a failing seed can be replayed.
function seeded(seed: number): () => number {
  let state = seed * 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 1));

// Drives the run to its end, killing the coordinator 1–3 times: mostly mid-slice once a random number of further
// writes has reached the destination (the window between a write and its checkpoint), sometimes between slices.
async function driveWithCrashes(runId: string, random: () => number): Promise<number> {
  // A stub does not survive abortAllDurableObjects(): each call takes a fresh one.
  const stub = () => coordinatorStub(runId);
  let crashes = 1 + Math.floor(random() * 3);
  let crashed = 0;
  for (let step = 0; step < 300; step++) {
    if (TERMINAL_STATUS[await runStatus(runId)]) return crashed;
    if (crashes === 0 || random() < 0.4) {
      if (!(await runDurableObjectAlarm(stub()))) await nextTurn();
      continue;
    }
    crashes -= 1;
    if (random() < 0.2) {
      await stub().snapshot(); // only a running object can be evicted
      await evictDurableObject(stub());
      crashed += 1;
      continue;
    }
    const target = (await sandboxStats()).writes + 1 + Math.floor(random() * 6);
    let settled = false;
    const slice = runDurableObjectAlarm(stub()).then(
      () => void (settled = true),
      () => void (settled = true),
    );
    while (!settled && (await sandboxStats()).writes < target) await nextTurn();
    if (!settled) {
      await abortAllDurableObjects();
      crashed += 1;
    }
    await slice;
  }
  throw new Error(`run ${runId} did not finish`);
}

let restore: () => void;
beforeEach(async () => {
  restore = await resetWorld();
});
afterEach(() => restore());

describe("a live run killed at random points", () => {
  it("writes each serial once and counts every write that landed as updated, exactly", SLOW, async () => {
    // Small slices and checkpoints, and a destination a little slow, so crashes land between writes and checkpoints.
    const restoreTuning = tuneCoordinator({ sliceRecords: 6, checkpointEvery: 3 });
    await configureSandbox({ latency_ms: 3 });
    const expected = demoExpectedOutcomes();
    const devices = demoSourceDevices();
    const seen: Array<{ seed: number; variant: string; serials: string[]; jobId: string; actions: Map<string, string>; counters: Counters; crashes: number }> = [];
    try {
      for (let seed = 0; seed < SEEDS; seed++) {
        const records = devices.slice(seed * PER_SEED, (seed + 1) * PER_SEED);
        const variant = VARIANTS[seed % VARIANTS.length]!;
        const { credentialId } = await makeCredentialWith([{ config: variant.config, dry_run: false }], records);
        const run = await startRun({ credential_id: credentialId, type: "full", mode: "live" });
        const crashes = await driveWithCrashes(run.id, seeded(seed + 1));
        const job = (await runDetail(run.id)).jobs[0]!;
        expect(job.status, `seed ${seed}`).toBe("completed");
        seen.push({ seed, variant: variant.name, serials: records.map((r) => r.serial), jobId: job.id, actions: await outcomesOf(job.id), counters: countersOf(job), crashes });
      }
    } finally {
      restoreTuning();
    }

    const writes = (await sandboxStats()).writes_by_serial;
    let confirmed = 0;
    for (const { seed, variant, serials, jobId, actions, counters: actual, crashes } of seen) {
      const label = `seed ${seed} (${variant}, ${crashes} crash(es))`;
      const truth = new Map(serials.map((serial) => {
        const action = expected.get(serial)!;
        return [serial, action === "would_update" ? "updated" : action];
      }));
      const tally = counters({ processed: serials.length });
      for (const action of truth.values()) tally[action as keyof Counters] += 1;

      expect(actual, label).toEqual(tally);
      expect(actions, label).toEqual(truth);
      // Every serial the destination applied a write for is updated, and no serial was written twice.
      const applied = Object.fromEntries(serials.filter((s) => writes[s] !== undefined).map((s) => [s, writes[s]]));
      const updated = Object.fromEntries([...truth].filter(([, action]) => action === "updated").map(([s]) => [s, 1]));
      expect(applied, label).toEqual(updated);
      confirmed += (await logsOf(jobId)).filter((line) => line.message.includes("confirmed after restart")).length;
    }
    // The crashes did hit the window this is about: writes that landed but whose outcome was not yet checkpointed.
    expect(confirmed).toBeGreaterThan(0);
  });
});
