import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { RunDetail } from "../../../worker/schemas/runs";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { installRecordingDestination, throughRecorder, type RecordingDestination } from "./recording-destination";
import {
  api,
  coordinatorStub,
  counters,
  countersOf,
  demoConfig,
  logsOf,
  makeCredentialWith,
  outcomesOf,
  resetWorld,
  runDetail,
  sandboxStats,
  startRun,
  stepRun,
  tuneRun,
} from "../factories";

const SLOW = { timeout: 60_000 };
const RECORDS = demoSourceDevices().slice(0, 60);
const OUTCOMES = demoExpectedOutcomes();
// The third record that needs a write: its PATCH is held open until the run aborts it.
const HELD = RECORDS.filter((record) => OUTCOMES.get(record.serial) === "would_update")[2]!.serial;
const BEFORE = RECORDS.slice(
  0,
  RECORDS.findIndex((record) => record.serial === HELD),
);

let destination: RecordingDestination;
beforeEach(async () => {
  await resetWorld();
  destination = installRecordingDestination();
});
afterEach(() => {
  destination.restore();
});

it("cancel while a write is in flight aborts that request, and the run ends canceled counting exactly the records before it", SLOW, async () => {
  destination.intercept = ({ method, path }) => (method === "PATCH" && path === `/api/devices/${HELD}` ? "hold" : undefined);
  // One request at a time, so the records before the held one are exactly those finished.
  const config = throughRecorder(
    demoConfig(0, (c) => void (c.limits.concurrency = 1)),
    "lane",
  );
  const { credentialId } = await makeCredentialWith([{ config }], RECORDS);
  const run = await startRun({ credential_id: credentialId, type: "full", mode: "live" });
  // No records prepared ahead: those after the held write would finish (needing no write) while it is held.
  await tuneRun(run.id, { writeAhead: 0 });
  await stepRun(run.id); // starts the job
  const slice = runDurableObjectAlarm(coordinatorStub(run.id));
  const held = await destination.held;

  const asked = Date.now();
  const canceled = await api<RunDetail>("POST", `/api/runs/${run.id}/cancel`);
  const took = Date.now() - asked;
  await slice;
  expect(canceled.status).toBe(200);
  expect(canceled.body.status).toBe("canceled");
  // SPEC §4: cancel takes effect within a second, so the held request cannot simply have timed out.
  expect(took).toBeLessThan(1_000);
  expect(held.status).toBe("aborted");
  expect(destination.requests.at(-1)).toBe(held);

  const done = await runDetail(run.id);
  expect(done.status).toBe("canceled");
  const job = done.jobs[0]!;
  expect(job.status).toBe("canceled");
  const expected = counters({ processed: BEFORE.length });
  for (const record of BEFORE) {
    const action = OUTCOMES.get(record.serial)!;
    expected[action === "would_update" ? "updated" : action] += 1;
  }
  expect(countersOf(job)).toEqual(expected);
  expect([...(await outcomesOf(job.id)).keys()].sort()).toEqual(BEFORE.map((record) => record.serial).sort());
  const stats = await sandboxStats();
  expect(stats.writes).toBe(expected.updated);
  expect(stats.writes_by_serial[HELD]).toBeUndefined();
  expect((await logsOf(job.id)).at(-1)!.message).toBe(`Canceled after ${BEFORE.length} of ${RECORDS.length} records; results so far are kept`);
});
