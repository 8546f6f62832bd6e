import { expect, it } from "vitest";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { useRecordingDestination, throughRecorder } from "./recording-destination";
import { demoConfig, driveRun, jobArchive, logsOf, makeCredentialWith, sandboxStats, startRun } from "../factories";
import type { ConnectionConfig } from "../../../worker/engine/contracts";

const SLOW = { timeout: 60_000 };

const RECORDS = demoSourceDevices().slice(0, 60);
const CHANGED = RECORDS.filter((record) => demoExpectedOutcomes().get(record.serial) === "would_update").map((record) => record.serial);
const REFUSED = CHANGED.slice(0, 3);

// Each test starts from the demo fleet (the recording destination resets the world before each).
const destination = useRecordingDestination();

// A destination that answers a device write 422 (or 409) for the serials it names, as HubSpot, Zendesk or GitHub
// answer a record whose values they cannot take, and writes every other one.
function refuse(serials: readonly string[], status: number) {
  destination.intercept = ({ method, path }) => {
    const serial = decodeURIComponent(path.split("/").pop() ?? "");
    if (method !== "PATCH" || !serials.includes(serial)) return undefined;
    return Response.json({ error: { code: "VALIDATION_FAILED", message: `site of ${serial} is not a known site` } }, { status });
  };
}

async function liveRun(config: ConnectionConfig, records = RECORDS) {
  const { credentialId } = await makeCredentialWith([{ config: throughRecorder(config, "lane") }], records);
  const run = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
  return { credentialId, job: run.jobs[0]! };
}

it("a 422 fails only its record with the destination's message; the job completes and the rest are written", SLOW, async () => {
  refuse(REFUSED, 422);
  const { credentialId, job } = await liveRun(demoConfig(0));

  expect(job).toMatchObject({ status: "completed", updated: CHANGED.length - REFUSED.length, failed: REFUSED.length, error: null });
  const outcomes = (await jobArchive(job.id))!.outcomes;
  for (const serial of REFUSED) {
    expect(outcomes.get(serial)).toMatchObject({
      action: "failed",
      http_status: 422,
      // The archive keeps the hint after the error, as the dashboard shows it.
      error: expect.stringMatching(
        new RegExp(
          `returned 422: .*site of ${serial} is not a known site.* — Hint: The destination refused this record \\(HTTP 422\\) and the job went on: correct the values it names, then rerun the failed serials$`,
        ),
      ),
    });
  }
  expect((await sandboxStats()).writes).toBe(job.updated);
  const logs = await logsOf(job.id);
  expect(logs.some((line) => line.level === "ERROR" && line.message.startsWith(`${REFUSED[0]} failed: PATCH `))).toBe(true);
  expect(logs.some((line) => line.message.startsWith("Job failed"))).toBe(false);

  // Once the destination takes them, the next run writes exactly the refused records.
  destination.intercept = () => undefined;
  const rerun = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
  expect(rerun.jobs[0]).toMatchObject({ status: "completed", updated: REFUSED.length, failed: 0 });
});

it("a 409 conflict is a refusal of its record too, and the list decides: none makes it fail the job at once", SLOW, async () => {
  refuse(REFUSED, 409);
  const goesOn = await liveRun(demoConfig(0));
  expect(goesOn.job).toMatchObject({ status: "completed", failed: REFUSED.length });

  const strict = await liveRun(
    demoConfig(0, (c) => {
      c.update.record_refusal_statuses = [];
    }),
  );
  expect(strict.job.status).toBe("failed");
  expect(strict.job.error).toMatchObject({ code: "unexpected_status", http_status: 409, message: expect.stringMatching(/returned 409/) });
});

it("a 400 fails the job at once unless the connection lists it, and then fails only the records it refuses", SLOW, async () => {
  // The sandbox answers a battery of 150 with 400 INVALID_CONTENT.
  const overcharged = RECORDS.map((record) => (REFUSED.includes(record.serial) ? { ...record, battery_pct: 150 } : record));
  const contractError = await liveRun(demoConfig(0), overcharged);
  expect(contractError.job.status).toBe("failed");
  expect(contractError.job.error).toMatchObject({ code: "invalid_content", http_status: 400 });

  const listed = await liveRun(
    demoConfig(0, (c) => {
      c.update.record_refusal_statuses = [400, 422];
    }),
    overcharged,
  );
  expect(listed.job).toMatchObject({ status: "completed", failed: REFUSED.length });
  // The failed job had written a few records before the refusal reached it.
  expect(listed.job.updated + contractError.job.updated).toBe(CHANGED.length - REFUSED.length);
  const outcome = (await jobArchive(listed.job.id))!.outcomes.get(REFUSED[0]!);
  expect(outcome).toMatchObject({ action: "failed", http_status: 400, error: expect.stringMatching(/INVALID_CONTENT|battery/) });
});

it("a job whose every write is refused stops after the failure streak, naming the last refusal", SLOW, async () => {
  refuse(
    RECORDS.map((record) => record.serial),
    422,
  );
  // Every record changed, so every one is a write.
  const { job } = await liveRun(
    demoConfig(0),
    RECORDS.map((record) => ({ ...record, battery_pct: 3 })),
  );

  expect(job.status).toBe("failed");
  expect(job.error).toMatchObject({
    code: "unexpected_status",
    http_status: 422,
    message: expect.stringMatching(/^25 records in a row were refused one by one and none accepted; the job stopped\. Last: PATCH .* returned 422/),
  });
  expect(job.updated).toBe(0);
  expect((await sandboxStats()).writes).toBe(0);
});
