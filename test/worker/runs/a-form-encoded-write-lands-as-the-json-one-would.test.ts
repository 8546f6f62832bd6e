import { expect, it } from "vitest";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { useRecordingDestination, throughRecorder } from "./recording-destination";
import { demoConfig, driveRun, makeCredentialWith, sandboxStats, startRun } from "../factories";

const SLOW = { timeout: 60_000 };
const RECORDS = demoSourceDevices().slice(0, 60);
const CHANGED = RECORDS.filter((record) => demoExpectedOutcomes().get(record.serial) === "would_update").map((record) => record.serial);

const destination = useRecordingDestination();

it("writes sent as forms land as the JSON writes would: the same serials written once, and a second run finds nothing to change", SLOW, async () => {
  const config = demoConfig(0, (c) => {
    c.update.formatter = "form";
  });
  const { credentialId } = await makeCredentialWith([{ config: throughRecorder(config, "lane") }], RECORDS);

  const first = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
  expect(first.jobs[0]).toMatchObject({ status: "completed", updated: CHANGED.length, failed: 0 });
  const writes = destination.requests.filter((r) => r.method === "PATCH");
  expect(writes).toHaveLength(CHANGED.length);
  expect(writes.every((w) => w.status === 200)).toBe(true);
  // A form, not JSON: every field as name=value, the battery as its digits.
  const body = new URLSearchParams(writes[0]!.body);
  expect(writes[0]!.body.startsWith("{")).toBe(false);
  expect([...body.keys()].length).toBeGreaterThan(0);
  const stats = await sandboxStats();
  expect(Object.keys(stats.writes_by_serial).sort()).toEqual([...CHANGED].sort());

  // The fleet holds typed values read from the form's text, so the JSON lookup compares equal.
  const second = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live", reset: true })).id);
  expect(second.jobs[0]).toMatchObject({ status: "completed", updated: 0, failed: 0 });
  expect((await sandboxStats()).writes).toBe(CHANGED.length);
});
