import { expect, it } from "vitest";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { useRecordingDestination, throughRecorder } from "./recording-destination";
import { counters, countersOf, demoConfig, driveRun, logsOf, makeCredentialWith, startRun } from "../factories";

const SLOW = { timeout: 60_000 };
const RECORDS = demoSourceDevices().slice(0, 20);
const SERIAL = RECORDS.find((record) => demoExpectedOutcomes().get(record.serial) === "would_update")!.serial;
const WRITE = `/api/devices/${SERIAL}`;

const destination = useRecordingDestination();

it("a write answered 429 with Retry-After: 1 is sent again no sooner than a second later on the run's clock, and the wait is logged", SLOW, async () => {
  destination.intercept = ({ method, path, seen }) =>
    method === "PATCH" && path === WRITE && seen === 0 ? new Response("slow down", { status: 429, headers: { "retry-after": "1" } }) : undefined;
  const { credentialId } = await makeCredentialWith([{ config: throughRecorder(demoConfig(0), "lane") }], RECORDS);
  const run = await driveRun((await startRun({ credential_id: credentialId, type: "single", serial: SERIAL, mode: "live" })).id);

  expect(run.status).toBe("completed");
  expect(countersOf(run.jobs[0]!)).toEqual(counters({ processed: 1, updated: 1 }));
  const writes = destination.requests.filter((r) => r.method === "PATCH");
  expect(writes.map((w) => [w.path, w.status])).toEqual([
    [WRITE, 429],
    [WRITE, 200],
  ]);
  expect(writes[1]!.at - writes[0]!.at).toBeGreaterThanOrEqual(1_000);
  // Both attempts reached the destination, so both bodies count as sent.
  expect(run.jobs[0]!.bytes_sent).toBe(writes[0]!.bytesReceived + writes[1]!.bytesReceived);
  const waits = (await logsOf(run.jobs[0]!.id)).filter((line) => line.message.startsWith("Rate limited (429)"));
  expect(waits.map((line) => [line.level, line.message])).toEqual([["WARN", `Rate limited (429) on PATCH /lane${WRITE}: waiting 1000 ms (Retry-After: 1)`]]);
});

it("a write answered 503 with Retry-After: 1 is sent again as asked, not on the backoff's quarter second, and the log quotes the header", SLOW, async () => {
  destination.intercept = ({ method, path, seen }) =>
    method === "PATCH" && path === WRITE && seen === 0 ? new Response("maintenance", { status: 503, headers: { "retry-after": "1" } }) : undefined;
  const { credentialId } = await makeCredentialWith([{ config: throughRecorder(demoConfig(0), "lane") }], RECORDS);
  const run = await driveRun((await startRun({ credential_id: credentialId, type: "single", serial: SERIAL, mode: "live" })).id);

  expect(run.status).toBe("completed");
  expect(countersOf(run.jobs[0]!)).toEqual(counters({ processed: 1, updated: 1 }));
  const writes = destination.requests.filter((r) => r.method === "PATCH");
  expect(writes.map((w) => w.status)).toEqual([503, 200]);
  expect(writes[1]!.at - writes[0]!.at).toBeGreaterThanOrEqual(1_000);
  const retries = (await logsOf(run.jobs[0]!.id)).filter((line) => line.message.startsWith("Retrying PATCH"));
  expect(retries.map((line) => line.message)).toEqual([`Retrying PATCH /lane${WRITE} after status 503 (attempt 1), waiting 1000 ms as Retry-After: 1 asked`]);
});
