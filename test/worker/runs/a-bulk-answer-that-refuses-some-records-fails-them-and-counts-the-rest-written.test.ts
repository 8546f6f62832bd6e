import { expect, it } from "vitest";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { useRecordingDestination, throughRecorder } from "./recording-destination";
import { demoConfig, driveRun, jobArchive, makeCredentialWith, sandboxStats, startRun } from "../factories";

const SLOW = { timeout: 60_000 };
// The third demo connection reads the sandbox's HTTP source: all 500 demo records.
const CHANGED = demoSourceDevices()
  .filter((record) => demoExpectedOutcomes().get(record.serial) === "would_update")
  .map((record) => record.serial);
const GONE = CHANGED[1]!;

const destination = useRecordingDestination();

it("a 207 whose result for one record is a 404 fails that record with the destination's message and counts the rest written", SLOW, async () => {
  // The sandbox answers each bulk item in request order; one device is sent under a name it lacks, so its item is a
  // 404 while the others are written.
  destination.rewrite = ({ method, path, body }) =>
    method === "POST" && path === "/api/devices/bulk" ? body.replace(`"serial":"${GONE}"`, '"serial":"DEV-GONE"') : undefined;
  const config = demoConfig(2, (c) => {
    c.update.bulk!.item_results = { path: "results", status_path: "status", message_path: "error.message" };
  });
  const { credentialId } = await makeCredentialWith([{ config: throughRecorder(config, "lane") }]);
  const run = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
  const job = run.jobs[0]!;

  expect(job).toMatchObject({ status: "completed", updated: CHANGED.length - 1, failed: 1 });
  const outcomes = (await jobArchive(job.id))!.outcomes;
  expect(outcomes.get(GONE)).toMatchObject({
    action: "failed",
    http_status: 404,
    error: expect.stringMatching(
      /^The destination accepted the bulk request \(HTTP 207\) but refused this record \(404\): no device with serial DEV-GONE — Hint: /,
    ),
  });
  expect(CHANGED.filter((serial) => serial !== GONE).every((serial) => outcomes.get(serial)?.action === "updated")).toBe(true);
  expect((await sandboxStats()).writes).toBe(CHANGED.length - 1);
});
