import { expect, it } from "vitest";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { bytesOf, useRecordingDestination, RECORDED, throughRecorder } from "./recording-destination";
import { configureSandbox, demoConfig, driveRun, makeCredentialWith, startRun } from "../factories";

const SLOW = { timeout: 60_000 };
const RECORDS = demoSourceDevices().slice(0, 60);

const destination = useRecordingDestination();

// Every third request is refused with 429 first, so the bytes of attempts that were answered and then retried
// count too: the destination received them.
it.each([
  { name: "per-serial JSON PATCH", index: 0 },
  { name: "per-serial XML PUT", index: 1 },
  { name: "HTTP source, listing and bulk POST", index: 2 },
] as const)("$name: Bytes Synced is what the destination received, bytes received what it sent", SLOW, async ({ index }) => {
  await configureSandbox({ throttle_every: 3, retry_after_s: 0 });
  const config = throughRecorder(demoConfig(index), "lane");
  expect(JSON.stringify(config)).toContain(RECORDED);
  const { credentialId } = await makeCredentialWith([{ config }], RECORDS);
  const run = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
  expect(run.status, JSON.stringify(run.jobs[0]!.error)).toBe("completed");
  const job = run.jobs[0]!;
  expect(job.updated).toBeGreaterThan(0);

  const truth = bytesOf(destination.requests);
  expect(destination.requests.some((r) => r.status === 429)).toBe(true);
  expect(truth.received).toBeGreaterThan(0);
  expect({ bytes_sent: job.bytes_sent, bytes_received: job.bytes_received }).toEqual({ bytes_sent: truth.received, bytes_received: truth.sent });
});
