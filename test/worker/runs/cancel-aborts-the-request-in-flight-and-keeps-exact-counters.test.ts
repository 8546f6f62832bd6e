import { runDurableObjectAlarm } from "cloudflare:test";
import { expect, it } from "vitest";
import type { RunDetail } from "../../../worker/schemas/runs";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { useRecordingDestination, throughRecorder } from "./recording-destination";
import {
  api,
  coordinatorStub,
  counters,
  countersOf,
  demoConfig,
  logsOf,
  makeCredentialWith,
  outcomesOf,
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

const destination = useRecordingDestination();

it("cancel while a write is in flight aborts that request, and the run ends canceled counting exactly the records finished", SLOW, async () => {
  destination.intercept = ({ method, path }) => (method === "PATCH" && path === `/api/devices/${HELD}` ? "hold" : undefined);
  // One request at a time: the records before the held one are finished, and at most the one looked up while
  // the held write's intent became durable (the slice keeps lookups going meanwhile).
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
  const finished = [...(await outcomesOf(job.id)).keys()].sort();
  const after = RECORDS.slice(BEFORE.length + 1).map((record) => record.serial);
  expect(finished.filter((serial) => !after.includes(serial))).toEqual(BEFORE.map((record) => record.serial).sort());
  expect(finished.filter((serial) => after.includes(serial)).length).toBeLessThanOrEqual(1);
  const expected = counters({ processed: finished.length });
  for (const serial of finished) {
    const action = OUTCOMES.get(serial)!;
    expected[action === "would_update" ? "updated" : action] += 1;
  }
  expect(countersOf(job)).toEqual(expected);
  const stats = await sandboxStats();
  expect(stats.writes).toBe(expected.updated);
  expect(stats.writes_by_serial[HELD]).toBeUndefined();
  expect((await logsOf(job.id)).at(-1)!.message).toBe(`Canceled after ${finished.length} of ${RECORDS.length} records; results so far are kept`);
});
