import { expect, it } from "vitest";
import { createOutboundFetch } from "../../../worker/sandbox/outbound-fetch";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { env } from "cloudflare:test";
import { useRecordingDestination, throughRecorder } from "./recording-destination";
import { demoConfig, driveRun, jobArchive, makeCredentialWith, sandbox, sandboxStats, startRun } from "../factories";
import type { ConnectionConfig } from "../../../worker/engine/contracts";

const SLOW = { timeout: 60_000 };

const RECORDS = demoSourceDevices().slice(0, 60);
const CHANGED = RECORDS.filter((record) => demoExpectedOutcomes().get(record.serial) === "would_update").map((record) => record.serial);
const EDITED = CHANGED[0]!;

const destination = useRecordingDestination();

const deviceOf = (serial: string) => sandbox<{ device: Record<string, unknown> }>(`/api/devices/${serial}`).then((body) => body.device);

// Someone else's edit of the device in the destination, between the run's lookup and its write.
const editElsewhere = (serial: string) =>
  sandbox(`/api/devices/${serial}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ contact_email: "edited@elsewhere.example" }),
  });

async function liveRun(config: ConnectionConfig) {
  const { credentialId } = await makeCredentialWith([{ config: throughRecorder(config, "lane") }], RECORDS);
  const run = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
  return { credentialId, job: run.jobs[0]! };
}

it("each write carries the ETag its lookup read; a record edited since fails alone with 412 and keeps the edit", SLOW, async () => {
  destination.intercept = async ({ method, path, seen }) => {
    if (method === "PATCH" && path === `/api/devices/${EDITED}` && seen === 0) await editElsewhere(EDITED);
    return undefined;
  };
  const { credentialId, job } = await liveRun(
    demoConfig(0, (c) => {
      c.update.if_match = { from: "etag_header" };
    }),
  );

  expect(job).toMatchObject({ status: "completed", failed: 1, updated: CHANGED.length - 1 });
  const writes = destination.requests.filter((r) => r.method === "PATCH");
  expect(writes.length).toBe(CHANGED.length);
  for (const write of writes) expect(write.ifMatch).toMatch(/^"v\d+"$/);
  expect((await jobArchive(job.id))!.outcomes.get(EDITED)).toMatchObject({
    action: "failed",
    http_status: 412,
    error: expect.stringMatching(/returned 412: .*PRECONDITION_FAILED.* — Hint: The destination record changed after it was read \(HTTP 412/),
  });
  // The request inspector shows the version the write was conditioned on and the one the destination is at.
  const refusedWrite = (await jobArchive(job.id))!.requests.find((r) => r.method === "PATCH" && r.status === 412)!;
  expect(refusedWrite.url).toContain(EDITED);
  expect(refusedWrite.request_headers["if-match"]).toMatch(/^"v\d+"$/);
  expect(refusedWrite.response_headers.etag).toMatch(/^"v\d+"$/);
  expect(refusedWrite.response_headers.etag).not.toBe(refusedWrite.request_headers["if-match"]);
  // The other writer's value stands: the run decided on what it read, and that no longer held.
  expect((await deviceOf(EDITED)).contact_email).toBe("edited@elsewhere.example");
  expect((await sandboxStats()).writes).toBe(job.updated + 1);

  // The next run reads the edited record again and writes what its source still says.
  destination.intercept = () => undefined;
  const rerun = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
  expect(rerun.jobs[0]).toMatchObject({ status: "completed", updated: 1, failed: 0 });
  expect((await jobArchive(rerun.jobs[0]!.id))!.outcomes.get(EDITED)).toMatchObject({ action: "updated" });
});

it("a write that landed but was answered 503 counts updated when its resend meets 412: read again, it holds what was sent", SLOW, async () => {
  // A gateway that loses the answer of an applied write; the destination ignores idempotency keys, so the resend
  // carries a version the first attempt already replaced.
  destination.intercept = async ({ method, path, seen, forward }) => {
    if (method !== "PATCH" || path !== `/api/devices/${EDITED}` || seen !== 0) return undefined;
    expect((await forward()).status).toBe(200);
    return Response.json({ error: { code: "UNAVAILABLE", message: "upstream timed out" } }, { status: 503 });
  };
  const { job } = await liveRun(
    demoConfig(0, (c) => {
      c.update.if_match = { from: "etag_header" };
    }),
  );

  expect(job).toMatchObject({ status: "completed", failed: 0, updated: CHANGED.length });
  const attempts = destination.requests.filter((r) => r.method === "PATCH" && r.path === `/api/devices/${EDITED}`);
  expect(attempts.map((r) => r.status)).toEqual([503, 412]);
  expect((await jobArchive(job.id))!.outcomes.get(EDITED)).toMatchObject({
    action: "updated",
    error: expect.stringMatching(/^written: an earlier attempt landed/),
  });
  // The fleet took each changed record once: the counters say what the destination holds.
  expect((await sandboxStats()).writes).toBe(CHANGED.length);
});

it("a 412 to a resend still fails the record when the record holds something else (someone edited it meanwhile)", SLOW, async () => {
  destination.intercept = async ({ method, path, seen }) => {
    if (method !== "PATCH" || path !== `/api/devices/${EDITED}` || seen !== 0) return undefined;
    await editElsewhere(EDITED);
    return Response.json({ error: { code: "UNAVAILABLE", message: "upstream timed out" } }, { status: 503 });
  };
  const { job } = await liveRun(
    demoConfig(0, (c) => {
      c.update.if_match = { from: "etag_header" };
    }),
  );

  expect(job).toMatchObject({ status: "completed", failed: 1, updated: CHANGED.length - 1 });
  expect((await jobArchive(job.id))!.outcomes.get(EDITED)).toMatchObject({ action: "failed", http_status: 412 });
  expect((await deviceOf(EDITED)).contact_email).toBe("edited@elsewhere.example");
});

it("takes the version from a field of the record (Cosmos DB's _etag), and a record without one is not written", SLOW, async () => {
  const fleet = createOutboundFetch(env);
  const unversioned = CHANGED[1]!;
  // A destination that reports each record's version inside it, not as a header.
  destination.intercept = async ({ method, path }) => {
    if (method !== "GET" || !path.startsWith("/api/devices/")) return undefined;
    const answer = await fleet(`http://localhost/sandbox${path}`);
    if (!answer.ok) return answer;
    const body = await answer.json<{ device: Record<string, unknown> }>();
    if (path !== `/api/devices/${unversioned}`) body.device._etag = answer.headers.get("etag");
    return Response.json(body);
  };
  const { job } = await liveRun(
    demoConfig(0, (c) => {
      c.update.if_match = { from: "record", path: "_etag" };
    }),
  );

  expect(job).toMatchObject({ status: "completed", failed: 1, updated: CHANGED.length - 1 });
  expect((await jobArchive(job.id))!.outcomes.get(unversioned)).toMatchObject({
    action: "failed",
    error: expect.stringMatching(/^The destination record has no version at "_etag" to send as If-Match, so the write was not sent — Hint: /),
  });
  const writes = destination.requests.filter((r) => r.method === "PATCH");
  expect(writes.map((w) => w.path)).not.toContain(`/api/devices/${unversioned}`);
  expect(writes.every((w) => /^"v\d+"$/.test(w.ifMatch ?? ""))).toBe(true);
  expect((await sandboxStats()).writes).toBe(job.updated);
});

it("the XML demo connection writes every changed record with the ETag its lookup read", SLOW, async () => {
  const { job } = await liveRun(
    demoConfig(1, (c) => {
      c.update.if_match = { from: "etag_header" };
    }),
  );
  expect(job).toMatchObject({ status: "completed", failed: 0, updated: CHANGED.length });
  const writes = destination.requests.filter((r) => r.method === "PUT");
  expect(writes.length).toBe(CHANGED.length);
  expect(writes.every((w) => /^"v\d+"$/.test(w.ifMatch ?? ""))).toBe(true);
});

it("a dry run plans the same writes with or without If-Match: the version is read when the write is sent", SLOW, async () => {
  const config = demoConfig(0, (c) => {
    c.update.if_match = { from: "etag_header" };
  });
  const { credentialId } = await makeCredentialWith([{ config: throughRecorder(config, "lane") }], RECORDS);
  const run = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id);
  expect(run.jobs[0]).toMatchObject({ status: "completed", would_update: CHANGED.length, failed: 0 });
});
