import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ConnectionConfig } from "../../../worker/engine/contracts";
import { readBackPlan, sampledForReadBack } from "../../../worker/engine/read-back";
import type { CoordinatorSnapshot } from "../../../worker/runs/run-coordinator";
import type { RecordOutcome } from "../../../worker/schemas/runs";
import { api, coordinatorStub, demoConfig, driveRun, logsOf, makeCredentialWith, runDetail, startRun, stepRun, tuneRun } from "../factories";
import { useRecordingDestination, throughRecorder } from "./recording-destination";

// A destination in front of the sandbox that accepts every write and stores something else: it drops a field
// from JSON bodies, or lowercases one in XML ones, before the sandbox sees them. The run reads each sampled
// write back (per serial, or one more read of the listing) and names the field.

type CoordinatorJob = CoordinatorSnapshot["jobs"][number];

const destination = useRecordingDestination();

type Device = Record<string, unknown>;
const withoutContactEmail = (body: string): string => {
  const parsed = JSON.parse(body) as Device & { devices?: Device[] };
  const drop = ({ contact_email: _dropped, ...kept }: Device) => kept;
  return JSON.stringify(parsed.devices === undefined ? drop(parsed) : { devices: parsed.devices.map(drop) });
};

async function recordsOf(jobId: string): Promise<Map<string, RecordOutcome & { differences?: unknown }>> {
  const res = await api<{ data: Array<RecordOutcome & { differences?: unknown }> }>("GET", `/api/jobs/${jobId}/records?limit=200`);
  return new Map(res.body.data.map((r) => [r.serial, r]));
}

const writes = (record: RecordOutcome, field: string) => record.changes.some((c) => c.field === field && c.written);

// One request per alarm, so the records phase and each page of the listing read back end alarms of their own
// (an evicted object comes back with the test bindings' settings, so they are given before every step).
async function stepToVerifying(runId: string): Promise<CoordinatorJob> {
  for (let step = 0; step < 60; step++) {
    const job = (await coordinatorStub(runId).snapshot()).jobs[0]!;
    if (job.phase === "verifying") return job;
    await tuneRun(runId, { sliceSubrequests: 1 });
    await stepRun(runId);
  }
  throw new Error(`run ${runId} never reached its verifying phase`);
}

async function liveRun(config: ConnectionConfig) {
  const { credentialId } = await makeCredentialWith([{ config, dry_run: false }]);
  return startRun({ credential_id: credentialId, type: "full", mode: "live" });
}

describe("read-back verification through the per-serial fetch contract", () => {
  it("counts a JSON write whose field the destination silently ignored as Verify Mismatch, naming the field, and the rest Verified", async () => {
    destination.rewrite = ({ method, body }) => (method === "PATCH" ? withoutContactEmail(body) : undefined);
    const run = await liveRun(
      throughRecorder(
        demoConfig(0, (c) => void (c.update.verify_writes = "all")),
        "json",
      ),
    );
    const job = (await driveRun(run.id)).jobs[0]!;
    const records = await recordsOf(job.id);
    const written = [...records.values()].filter((r) => r.http_status !== null);
    const ignored = written.filter((r) => writes(r, "contact_email"));

    expect(ignored.length).toBeGreaterThan(0);
    expect(written.length).toBeGreaterThan(ignored.length);
    expect(job).toMatchObject({ status: "completed", updated: 0, verified: written.length - ignored.length, verify_mismatch: ignored.length });
    for (const record of ignored) {
      const change = record.changes.find((c) => c.field === "contact_email")!;
      expect(record).toMatchObject({
        action: "verify_mismatch",
        differences: [{ field: "contact_email", expected: change.after, found: change.before, side: "stored" }],
        error: "the destination accepted the write but stored a different value for contact_email",
      });
    }
    // Each written serial: looked up, written, read back.
    for (const record of written) {
      const path = `/api/devices/${record.serial}`;
      expect(destination.requests.filter((r) => r.path === path).map((r) => r.method)).toEqual(["GET", "PATCH", "GET"]);
    }
  });

  it("counts an XML write the destination transformed as Verify Mismatch", async () => {
    destination.rewrite = ({ method, body }) =>
      method === "PUT" ? body.replace(/<site_code>([^<]*)<\/site_code>/, (_, code: string) => `<site_code>${code.toLowerCase()}</site_code>`) : undefined;
    const run = await liveRun(
      throughRecorder(
        demoConfig(1, (c) => void (c.update.verify_writes = "all")),
        "xml",
      ),
    );
    const job = (await driveRun(run.id)).jobs[0]!;
    const written = [...(await recordsOf(job.id)).values()].filter((r) => r.http_status !== null);
    const transformed = written.filter((r) => writes(r, "site_code"));

    expect(transformed.length).toBeGreaterThan(0);
    expect(job).toMatchObject({ status: "completed", verify_mismatch: transformed.length, verified: written.length - transformed.length });
    for (const record of transformed) {
      expect(record.differences).toEqual([
        {
          field: "site_code",
          expected: record.changes.find((c) => c.field === "site_code")!.after,
          found: expect.stringMatching(/^[a-z0-9-]+$/),
          side: "stored",
        },
      ]);
    }
  });
});

describe("read-back verification of a list-mode job", () => {
  it("holds sampled bulk writes back until one more read of the listing, across evictions, with exact counts and the same sample", async () => {
    const config = throughRecorder(
      demoConfig(2, (c) => {
        c.source = { kind: "dataset" };
        c.update.verify_writes = "sample";
        c.update.verify_sample_percent = 50;
        // Pages of 100, so the listing read back spans several alarms when they are short.
        (c.fetch as { url: string }).url = c.fetch.mode === "list" ? c.fetch.url.replace("per_page=500", "per_page=100") : "";
      }),
      "bulk",
    );
    const run = await liveRun(config);
    // The destination accepts the first sampled serial it is sent (and that serial's resends) but stores none of its
    // fields: the sample depends on the job id, so choosing after it keeps one mismatch and the rest verified.
    const plan = readBackPlan(config.update);
    const tampered = new Set<string>();
    const tamper = (device: Device): Device => {
      const serial = String(device.serial);
      if (!sampledForReadBack(plan, run.jobs[0]!.id, serial) || (tampered.size > 0 && !tampered.has(serial))) return device;
      tampered.add(serial);
      return { serial };
    };
    destination.rewrite = ({ method, path, body }) =>
      method === "POST" && path === "/api/devices/bulk"
        ? JSON.stringify({ devices: (JSON.parse(body) as { devices: Device[] }).devices.map(tamper) })
        : undefined;
    const stub = () => coordinatorStub(run.id);
    const heldBack = await stepToVerifying(run.id);
    expect(heldBack.counters.processed).toBeLessThan(60);
    const listingReads = () => destination.requests.filter((r) => r.method === "GET" && r.path === "/api/devices").length;
    const firstRead = listingReads();
    expect(firstRead).toBeGreaterThan(2);

    // Evicted with writes held back; then one listing page per alarm, evicted again between two of them.
    await evictDurableObject(stub());
    await tuneRun(run.id, { sliceSubrequests: 1 });
    await stepRun(run.id);
    const partway = (await stub().snapshot()).jobs[0]!;
    expect(partway.phase).toBe("verifying");
    await evictDurableObject(stub());
    const job = (await driveRun(run.id)).jobs[0]!;
    // The listing was read once more, page by page, resuming after each eviction rather than starting over.
    expect(listingReads()).toBe(2 * firstRead);

    const records = await recordsOf(job.id);
    const written = [...records.values()].filter((r) => r.http_status !== null);
    const sampled = written.filter((r) => sampledForReadBack(plan, job.id, r.serial));
    expect(sampled.length).toBeGreaterThan(1);
    expect(sampled.length).toBeLessThan(written.length);
    expect(tampered.size).toBe(1);
    const expected = new Map(
      written.map((r) => [r.serial, !sampledForReadBack(plan, job.id, r.serial) ? "updated" : tampered.has(r.serial) ? "verify_mismatch" : "verified"]),
    );
    expect(new Map(written.map((r) => [r.serial, r.action]))).toEqual(expected);
    const count = (action: string) => [...expected.values()].filter((a) => a === action).length;
    const unstored = records.get([...tampered][0]!)!;
    const differences = unstored.differences as Array<{ field: string; side: string }>;
    expect(differences.map((d) => d.field).sort()).toEqual(
      unstored.changes
        .filter((c) => c.written)
        .map((c) => c.field)
        .sort(),
    );
    expect(differences.every((d) => d.side === "stored")).toBe(true);
    expect(job).toMatchObject({
      status: "completed",
      processed: 60,
      updated: count("updated"),
      verified: count("verified"),
      verify_mismatch: count("verify_mismatch"),
    });
    const logs = (await logsOf(job.id)).map((l) => l.message);
    expect(logs).toContain(`Reading the destination listing again to verify ${sampled.length} written record(s)`);
  });

  it("counts writes held back for a verifying phase that a cancel cuts short as Updated", async () => {
    const config = throughRecorder(
      demoConfig(2, (c) => void ((c.source = { kind: "dataset" }), (c.update.verify_writes = "all"))),
      "bulk",
    );
    const run = await liveRun(config);
    await stepToVerifying(run.id);
    const res = await api("POST", `/api/runs/${run.id}/cancel`);
    expect(res.status).toBeLessThan(300);
    const job = (await runDetail(run.id)).jobs[0]!;
    const written = [...(await recordsOf(job.id)).values()].filter((r) => r.http_status !== null);
    expect(written.length).toBeGreaterThan(0);
    expect(job).toMatchObject({ status: "canceled", processed: 60, updated: written.length, verified: 0 });
    expect(written.every((r) => r.error === "written, not verified: the run was canceled before they were read back")).toBe(true);
  });
});
