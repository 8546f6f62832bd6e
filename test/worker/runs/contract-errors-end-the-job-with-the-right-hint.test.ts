import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { ConnectionConfig } from "../../../worker/engine/contracts";
import { demoExpectedOutcomes, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import {
  api,
  configureSandbox,
  counters,
  countersOf,
  demoConfig,
  driveRun,
  logsOf,
  makeCredentialWith,
  resetWorld,
  sandboxStats,
  startRun,
  watchOutbox,
} from "../factories";

const SLOW = { timeout: 60_000 };
const RECORDS = demoSourceDevices().slice(0, 60);

// What a full run over RECORDS decides, from the demo's construction.
function expectedFor(records: typeof RECORDS, mode: "dry" | "live") {
  const outcomes = demoExpectedOutcomes();
  const tally = counters({ processed: records.length });
  for (const record of records) {
    const action = outcomes.get(record.serial)!;
    tally[action === "would_update" && mode === "live" ? "updated" : action] += 1;
  }
  return tally;
}

async function liveFullRun(configs: ConnectionConfig[]) {
  const { credentialId, connectionIds } = await makeCredentialWith(
    configs.map((config) => ({ config })),
    RECORDS,
  );
  const run = await startRun({ credential_id: credentialId, type: "full", mode: "live" });
  return { run: await driveRun(run.id), connectionIds };
}

beforeEach(async () => {
  await resetWorld();
});

describe("terminal contract errors fail the job with the seed's hint", () => {
  const cases = [
    {
      name: "405: the update method the endpoint does not allow",
      config: demoConfig(0, (c) => void (c.update.method = "POST")),
      code: "method_not_allowed",
      status: 405,
      hint: "Verify method in Update API Contract",
    },
    {
      name: "415: an XML body sent to a JSON endpoint",
      config: demoConfig(0, (c) => void Object.assign(c.update, { formatter: "xml", xml_root: "device" })),
      code: "unsupported_media_type",
      status: 415,
      hint: "Confirm contract formatter (JSON/XML)",
    },
    {
      name: "400 INVALID_CONTENT: a mapping field the destination does not know",
      config: demoConfig(
        0,
        (c) =>
          void c.mapping.push({
            source: "firmware_version",
            destination: "firmware_rev",
            formatter: "string",
            action: "always",
            on_null: "skip",
            required: false,
          }),
      ),
      code: "invalid_content",
      status: 400,
      hint: "Validate mapping field names and formatter selections",
    },
  ];
  for (const { name, config, code, status, hint } of cases) {
    it(name, SLOW, async () => {
      const outbox = await watchOutbox();
      const { run, connectionIds } = await liveFullRun([config]);
      expect(run.status).toBe("failed");
      expect(run.connections_failed).toBe(1);
      const connection = await env.LEDGER.prepare("SELECT last_status, consecutive_failures, sync_cursor FROM connections WHERE id = ?1")
        .bind(connectionIds[0])
        .first();
      expect(connection).toEqual({ last_status: "failed", consecutive_failures: 1, sync_cursor: null });
      const job = run.jobs[0]!;
      expect(job.status).toBe("failed");
      expect(job.error).toMatchObject({ code, http_status: status });
      expect(job.error!.hint).toContain(hint);
      // The job stops at the first write: far fewer records than in scope were processed.
      expect(job.processed).toBeLessThan(RECORDS.length);
      expect(job.failed).toBeGreaterThanOrEqual(1);
      const logs = await logsOf(job.id);
      expect(logs.some((l) => l.level === "ERROR" && l.message.startsWith("Job failed") && l.message.includes(hint))).toBe(true);
      const failedEvent = (await outbox.eventsOf(run.id)).find((e) => e.job_id === job.id && e.payload.status === "failed")!;
      expect(failedEvent.payload).toMatchObject({ previous_status: "running", error: { code, http_status: status } });
      expect(String(failedEvent.payload.error_summary)).toContain(hint);
    });
  }

  it("a dry run of the same broken contract cannot see the destination's refusal and completes", SLOW, async () => {
    const { credentialId } = await makeCredentialWith([{ config: demoConfig(0, (c) => void (c.update.method = "POST")) }], RECORDS);
    const run = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id);
    expect(run.status).toBe("completed");
    expect(countersOf(run.jobs[0]!)).toEqual(expectedFor(RECORDS, "dry"));
  });
});

describe("a connection that cannot run", () => {
  it("fails its job at the start with the reason, and the run goes on to the next connection", SLOW, async () => {
    const invalid = { ...demoConfig(0), mapping: [] } as unknown as ConnectionConfig;
    const { run } = await liveFullRun([invalid, demoConfig(1)]);
    expect(run.jobs.map((j) => j.status)).toEqual(["failed", "completed"]);
    expect(run.jobs[0]!.error).toMatchObject({ code: "invalid_contract", http_status: null });
    expect(run.jobs[0]!.error!.message).toContain("mapping");
    expect(run.jobs[0]!.processed).toBe(0);
  });
});

describe("the credential", () => {
  it("authenticates every request with its decrypted secret, and a refused secret fails the job with the credential hint", SLOW, async () => {
    await configureSandbox({ auth_token: "fleet-token-1" });
    const good = await makeCredentialWith([{ config: demoConfig(0) }], RECORDS, "fleet-token-1");
    const ok = await driveRun((await startRun({ credential_id: good.credentialId, type: "full", mode: "live" })).id);
    expect(ok.status).toBe("completed");
    expect(countersOf(ok.jobs[0]!)).toEqual(expectedFor(RECORDS, "live"));

    const wrong = await makeCredentialWith([{ config: demoConfig(0) }], RECORDS, "not-the-token");
    const refused = await driveRun((await startRun({ credential_id: wrong.credentialId, type: "full", mode: "dry" })).id);
    expect(refused.jobs[0]!.status).toBe("failed");
    expect(refused.jobs[0]!.error).toMatchObject({ code: "auth_failed", http_status: 401 });
    expect(refused.jobs[0]!.error!.hint).toContain("Check the credential");
    // The secret never reaches the ledger.
    const logs = await logsOf(refused.jobs[0]!.id);
    expect(JSON.stringify(logs)).not.toContain("not-the-token");
  });
});

describe("429 from the destination", () => {
  it("waits for Retry-After, logs the waits as WARN and still gets every record right", SLOW, async () => {
    await configureSandbox({ throttle_every: 4, retry_after_s: 0 });
    const { run } = await liveFullRun([demoConfig(0)]);
    expect(run.status).toBe("completed");
    expect(countersOf(run.jobs[0]!)).toEqual(expectedFor(RECORDS, "live"));
    expect((await sandboxStats()).throttled).toBeGreaterThan(10);
    const waits = (await logsOf(run.jobs[0]!.id)).filter((l) => l.level === "WARN" && l.message.startsWith("Rate limited (429)"));
    expect(waits.length).toBeGreaterThan(0);
  });

  it("that never lets up fails the job with the rate-limit hint instead of grinding through every record", SLOW, async () => {
    await configureSandbox({ throttle_every: 1, retry_after_s: 0 });
    const { run } = await liveFullRun([demoConfig(0)]);
    const job = run.jobs[0]!;
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ code: "retries_exhausted", http_status: 429 });
    expect(job.error!.hint).toContain("Lower requests per second");
    expect(job.failed).toBeGreaterThanOrEqual(25);
    expect(job.processed).toBeLessThan(RECORDS.length);
  });
});

describe("one connection failing", () => {
  const broken = () => demoConfig(0, (c) => void (c.update.method = "POST"));

  it("stops the rest of the run when its connection has stop_on_failure", SLOW, async () => {
    const stopping = broken();
    stopping.limits.stop_on_failure = true;
    const { run } = await liveFullRun([stopping, demoConfig(1)]);
    expect(run.status).toBe("failed");
    expect(run.jobs.map((j) => j.status)).toEqual(["failed", "canceled"]);
    expect(run.jobs[1]!.processed).toBe(0);
    expect(run.jobs[1]!.error).toMatchObject({ code: "stopped_by_failure" });
    expect((await sandboxStats()).writes).toBe(0);
  });

  it("lets the next connections run by default, and a rerun of the failed ones repeats only them", SLOW, async () => {
    const { run, connectionIds } = await liveFullRun([broken(), demoConfig(1)]);
    expect(run.status).toBe("failed");
    expect(run.jobs.map((j) => j.status)).toEqual(["failed", "completed"]);
    expect([run.connections_succeeded, run.connections_failed]).toEqual([1, 1]);
    expect(countersOf(run.jobs[1]!)).toEqual(expectedFor(RECORDS, "live"));

    const res = await api<{ id: string; trigger: string; rerun_of: string; mode: string; jobs: Array<{ connection_id: string }> }>(
      "POST",
      `/api/runs/${run.id}/rerun`,
      { scope: "failed" },
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ trigger: "rerun", rerun_of: run.id, mode: "live" });
    expect(res.body.jobs.map((j) => j.connection_id)).toEqual([connectionIds[0]]);
    // The second connection already wrote every change, so the rerun finds nothing to send the broken method.
    const rerun = await driveRun(res.body.id);
    expect(rerun.status).toBe("completed");
    expect(rerun.jobs[0]!.updated).toBe(0);

    const all = await api<{ jobs: unknown[] }>("POST", `/api/runs/${run.id}/rerun`, { scope: "all" });
    expect(all.status).toBe(202);
    expect(all.body.jobs).toHaveLength(2);
    await driveRun((all.body as unknown as { id: string }).id);
  });
});
