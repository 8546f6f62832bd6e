import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { ConnectionConfig } from "../../../worker/engine/contracts";
import { readBackPlan, sampledForReadBack } from "../../../worker/engine/read-back";
import { TERMINAL_STATUS } from "../../../worker/schemas/vocabulary";
import type { CoordinatorStore } from "../../../worker/runs/coordinator-store";
import type { CoordinatorConfig } from "../../../worker/runs/coordinator-config";
import type { RunCoordinator } from "../../../worker/runs/run-coordinator";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import type { RunDetail } from "../../../worker/schemas/runs";
import {
  api,
  configureSandbox,
  driveRun,
  coordinatorStub,
  counters,
  type Counters,
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
  tuneRun,
} from "../factories";

// Ground truth is the sandbox fleet: it counts every write it applies, per serial, in the same storage
// transaction as the write. Each seed runs its own connection over its own serials, so one fleet serves all.
const SEEDS = 21;
// Each seed's serials: mostly ones the run writes, and some of every other outcome.
const CHANGED_PER_SEED = 6;
const OTHERS_PER_SEED = 4;
const SLOW = { timeout: 120_000 };

// Few requests at a time, so the writes of a slice land one after another and a kill can fall between them.
const fewAtATime = (c: ConnectionConfig) => void (c.limits.concurrency = 2);
// Two variants read their writes back (every one, or half of them held back for one more read of the listing),
// so a kill also falls between a write and its read-back.
const VARIANTS: Array<{ name: string; config: ConnectionConfig }> = [
  { name: "JSON PATCH per serial, every write read back", config: demoConfig(0, (c) => void ((c.update.verify_writes = "all"), fewAtATime(c))) },
  { name: "XML PUT per serial", config: demoConfig(1, fewAtATime) },
  {
    name: "bulk POST after a listing, half read back",
    config: demoConfig(
      2,
      (c) =>
        void (
          (c.source = { kind: "dataset" }),
          (c.update.bulk!.max_records = 2),
          (c.update.verify_writes = "sample"),
          (c.update.verify_sample_percent = 50),
          fewAtATime(c)
        ),
    ),
  },
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

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 5));

// Drives the run to its end, killing the coordinator 1–3 times: mostly inside a random checkpoint (the window
// between writes that landed and their saved outcomes), sometimes by eviction between steps. A killed or
// evicted object comes back with the test bindings' settings, so the run's own are given before every step.
async function driveWithCrashes(runId: string, random: () => number, tuning: Partial<CoordinatorConfig>): Promise<number> {
  // A stub does not survive its object being aborted: each call takes a fresh one.
  const stub = () => coordinatorStub(runId);
  let crashes = 1 + Math.floor(random() * 3);
  let crashed = 0;
  for (let step = 0; step < 300; step++) {
    if (TERMINAL_STATUS[await runStatus(runId)]) return crashed;
    if (crashes === 0 || random() < 0.25) {
      await tuneRun(runId, tuning);
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
    // Killed inside a random checkpoint: the outcomes it was saving are lost, including writes that landed.
    const killAt = 1 + Math.floor(random() * 8);
    let armed = true;
    await tuneRun(runId, tuning);
    await runInDurableObject(stub(), (instance: RunCoordinator, state) => {
      const store = (instance as unknown as { store: CoordinatorStore }).store;
      const dequeueMany = store.dequeueMany.bind(store);
      let dequeued = 0;
      store.dequeueMany = (jobId, records) => {
        dequeued += records.length;
        if (armed && dequeued >= killAt) state.abort("killed by the test");
        dequeueMany(jobId, records);
      };
    });
    const killed = await runDurableObjectAlarm(stub()).then(
      () => false,
      (error: unknown) => /killed by the test/.test(String(error)),
    );
    // The step may end before that many outcomes: then nothing is killed.
    armed = false;
    if (killed) crashed += 1;
  }
  throw new Error(`run ${runId} did not finish`);
}

beforeEach(async () => {
  await resetWorld();
});

describe("a live run killed at random points", () => {
  it("writes each serial once and counts every write that landed as updated (or verified when read back), exactly", SLOW, async () => {
    // A destination that waits before reading a body, so a write cut off by the kill is not applied after the
    // restart has looked its record up.
    await configureSandbox({ latency_ms: 2 });
    const expected = demoExpectedOutcomes();
    const devices = demoSourceDevices();
    const changed = devices.filter((d) => expected.get(d.serial) === "would_update");
    const others = devices.filter((d) => expected.get(d.serial) !== "would_update");
    const seen: Array<{ seed: number; variant: string; serials: string[]; jobId: string; actions: Map<string, string>; counters: Counters; crashes: number }> =
      [];
    for (let seed = 0; seed < SEEDS; seed++) {
      const records = [
        ...changed.slice(seed * CHANGED_PER_SEED, (seed + 1) * CHANGED_PER_SEED),
        ...others.slice(seed * OTHERS_PER_SEED, (seed + 1) * OTHERS_PER_SEED),
      ];
      const variant = VARIANTS[seed % VARIANTS.length]!;
      const random = seeded(seed + 1);
      // Small slices, so a run has several, checkpointed after every record, every few, or only at the end of one.
      const tuning = { sliceRecords: 8, checkpointEvery: [1, 3, 8][Math.floor(random() * 3)]! };
      const { credentialId } = await makeCredentialWith([{ config: variant.config, dry_run: false }], records);
      const run = await startRun({ credential_id: credentialId, type: "full", mode: "live" });
      const crashes = await driveWithCrashes(run.id, random, tuning);
      const job = (await runDetail(run.id)).jobs[0]!;
      expect(job.status, `seed ${seed}`).toBe("completed");
      seen.push({
        seed,
        variant: variant.name,
        serials: records.map((r) => r.serial),
        jobId: job.id,
        actions: await outcomesOf(job.id),
        counters: countersOf(job),
        crashes,
      });
    }

    const writes = (await sandboxStats()).writes_by_serial;
    const confirmed = new Map(VARIANTS.map((v) => [v.name, 0]));
    let relisted = 0;
    for (const { seed, variant, serials, jobId, actions, counters: actual, crashes } of seen) {
      const label = `seed ${seed} (${variant}, ${crashes} crash(es))`;
      // The sample is the same however often the job was killed: a hash of the job and the serial.
      const plan = readBackPlan(VARIANTS.find((v) => v.name === variant)!.config.update);
      const truth = new Map(
        serials.map((serial) => {
          const action = expected.get(serial)!;
          return [serial, action !== "would_update" ? action : sampledForReadBack(plan, jobId, serial) ? "verified" : "updated"];
        }),
      );
      const tally = counters({ processed: serials.length });
      for (const action of truth.values()) tally[action as keyof Counters] += 1;

      expect(actual, label).toEqual(tally);
      expect(actions, label).toEqual(truth);
      // Every serial the destination applied a write for is updated, and no serial was written twice.
      const applied = Object.fromEntries(serials.filter((s) => writes[s] !== undefined).map((s) => [s, writes[s]]));
      const updated = Object.fromEntries([...truth].filter(([, action]) => action === "updated" || action === "verified").map(([s]) => [s, 1]));
      expect(applied, label).toEqual(updated);
      const logs = await logsOf(jobId);
      confirmed.set(variant, confirmed.get(variant)! + logs.filter((line) => line.message.includes("confirmed after restart")).length);
      relisted += logs.filter((line) => line.message.startsWith("Reading the destination listing again")).length;
    }
    // The kills did hit the window this is about: writes that landed whose outcomes were lost (a listing read
    // before such writes is read again to check them).
    const total = [...confirmed.values()].reduce((a, b) => a + b, 0);
    expect(total, JSON.stringify(Object.fromEntries(confirmed))).toBeGreaterThan(0);
    expect(relisted).toBeGreaterThan(0);
  });
});

describe("an apply run killed at random points", () => {
  it("sends each planned write once and counts every one that landed as written, never drifted", SLOW, async () => {
    await configureSandbox({ latency_ms: 2 });
    const expected = demoExpectedOutcomes();
    const devices = demoSourceDevices();
    const changed = devices.filter((d) => expected.get(d.serial) === "would_update");
    const others = devices.filter((d) => expected.get(d.serial) !== "would_update");
    let crashed = 0;
    for (const [seed, variant] of VARIANTS.entries()) {
      const records = [...changed.slice(seed * 8, (seed + 1) * 8), ...others.slice(seed * 4, (seed + 1) * 4)];
      const random = seeded(100 + seed);
      const { credentialId } = await makeCredentialWith([{ config: variant.config }], records);
      const dry = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id);
      const applied = await api<{ run: RunDetail }>("POST", `/api/runs/${dry.id}/apply`);
      expect(applied.status, JSON.stringify(applied.body)).toBe(201);
      const crashes = await driveWithCrashes(applied.body.run.id, random, { sliceRecords: 4, checkpointEvery: 3 });
      const job = (await runDetail(applied.body.run.id)).jobs[0]!;
      crashed += crashes;
      const label = `${variant.name}, ${crashes} crash(es)`;
      expect(job, label).toMatchObject({ status: "completed", drifted: 0, processed: 8, verify_mismatch: 0 });
      // Written, whether read back (a variant verifies every write) or not.
      expect(job.updated + job.verified, label).toBe(8);
    }
    const writes = (await sandboxStats()).writes_by_serial;
    const planned = VARIANTS.flatMap((_, seed) => changed.slice(seed * 8, (seed + 1) * 8).map((d) => d.serial));
    expect(writes).toEqual(Object.fromEntries(planned.map((serial) => [serial, 1])));
    expect(crashed).toBeGreaterThan(0);
  });
});
