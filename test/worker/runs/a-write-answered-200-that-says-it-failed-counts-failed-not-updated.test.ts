import { expect, it } from "vitest";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { useRecordingDestination, throughRecorder } from "./recording-destination";
import { configureSandbox, demoConfig, driveRun, jobArchive, makeCredentialWith, sandboxStats, startRun } from "../factories";

const SLOW = { timeout: 60_000 };
const SLACK_STYLE = { ok_path: "ok", message_path: "error.message" };

// The sandbox's errors_in_body knob answers every device write 200, {"ok": false, "error": …} where it would have
// answered 400: a battery of 150 is such a write.
const RECORDS = demoSourceDevices().slice(0, 60);
const CHANGED = RECORDS.filter((record) => demoExpectedOutcomes().get(record.serial) === "would_update").map((record) => record.serial);
const OVERCHARGED = CHANGED.slice(0, 3);
const overcharged = RECORDS.map((record) => (OVERCHARGED.includes(record.serial) ? { ...record, battery_pct: 150 } : record));

const destination = useRecordingDestination();

it("per-serial writes whose 200 answer says ok: false fail with the destination's message; the rest count updated, as the fleet holds them", SLOW, async () => {
  await configureSandbox({ errors_in_body: true });
  const config = demoConfig(0, (c) => {
    c.update.answer_check = SLACK_STYLE;
  });
  const { credentialId } = await makeCredentialWith([{ config: throughRecorder(config, "lane") }], overcharged);
  const run = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
  const job = run.jobs[0]!;

  expect(job).toMatchObject({ status: "completed", updated: CHANGED.length - OVERCHARGED.length, failed: OVERCHARGED.length });
  const outcomes = (await jobArchive(job.id))!.outcomes;
  for (const serial of OVERCHARGED) {
    expect(outcomes.get(serial)).toMatchObject({
      action: "failed",
      http_status: 200,
      error: expect.stringMatching(
        /^The destination answered the write with HTTP 200 but its answer says it failed: field "battery" must be an integer from 0 to 100/,
      ),
    });
  }
  // Every answer was a 200: the counters agree with what the fleet wrote, not with the statuses.
  expect(destination.requests.filter((r) => r.method === "PATCH").every((r) => r.status === 200)).toBe(true);
  expect((await sandboxStats()).writes).toBe(job.updated);
});

it("a job whose every write is answered with a failure stops after the failure streak, naming the last answer", SLOW, async () => {
  await configureSandbox({ errors_in_body: true });
  const config = demoConfig(0, (c) => {
    c.update.answer_check = SLACK_STYLE;
  });
  const everyOne = RECORDS.map((record) => ({ ...record, battery_pct: 150 }));
  const { credentialId } = await makeCredentialWith([{ config: throughRecorder(config, "lane") }], everyOne);
  const run = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
  const job = run.jobs[0]!;

  expect(job.status).toBe("failed");
  expect(job.error).toMatchObject({
    code: "refused_in_answer",
    http_status: 200,
    message: expect.stringMatching(/^25 writes in a row were answered with a failure and none accepted; the job stopped\. Last: /),
  });
  expect(job.updated).toBe(0);
  expect((await sandboxStats()).writes).toBe(0);
});

it("a bulk request answered 200 with GraphQL-style errors fails its batch's records; the other batches count written", SLOW, async () => {
  let bulkRequests = 0;
  destination.intercept = ({ method, path }) => {
    if (method !== "POST" || path !== "/api/devices/bulk" || ++bulkRequests !== 2) return undefined;
    return Response.json({ data: null, errors: [{ message: "mutation cost exceeds the budget" }] });
  };
  const config = demoConfig(2, (c) => {
    c.update.answer_check = { error_path: "errors" };
  });
  const { credentialId } = await makeCredentialWith([{ config: throughRecorder(config, "lane") }]);
  const run = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
  const job = run.jobs[0]!;

  const refused = [...(await jobArchive(job.id))!.outcomes.values()].filter((o) => o.action === "failed");
  expect(refused.length).toBe(50);
  expect(refused[0]).toMatchObject({
    http_status: 200,
    error: expect.stringMatching(/^The destination answered the bulk request with HTTP 200 but its answer says it failed: mutation cost exceeds the budget/),
  });
  expect(job).toMatchObject({ status: "completed", failed: 50 });
  expect((await sandboxStats()).writes).toBe(job.updated);
});
