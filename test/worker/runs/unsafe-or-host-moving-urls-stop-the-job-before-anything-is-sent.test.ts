import { runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../../worker/env";
import type { RunCoordinator } from "../../../worker/runs/run-coordinator";
import { coordinatorStub, demoConfig, driveRun, makeCredentialWith, resetWorld, sandboxStats, startRun, type TestAuth } from "../factories";

// Contracts and credentials are checked when they are saved, under the rules of that deployment. A run checks
// every URL it will call again when each job starts, under the rules of the deployment it runs in, as alert
// channels are checked before each send.

beforeEach(async () => {
  await resetWorld();
});

// The test pool runs in development; a run is switched to production rules inside its coordinator.
async function runIn(environment: "production" | "development", configs: Parameters<typeof makeCredentialWith>[0], auth: TestAuth = null) {
  const { credentialId } = await makeCredentialWith(configs, undefined, auth);
  const started = await startRun({ credential_id: credentialId, type: "full", mode: "live" });
  await runInDurableObject(coordinatorStub(started.id), (instance: RunCoordinator) => {
    const self = instance as unknown as { env: Env };
    self.env = { ...self.env, ENVIRONMENT: environment };
  });
  return driveRun(started.id);
}

describe("a job checks every URL it will call before it starts", () => {
  it("fails in production when a contract URL names a private address, and calls nothing", async () => {
    // Allowed in development (https to a LAN host), refused by production rules.
    const config = demoConfig(0, (c) => {
      if (c.fetch.mode === "per_serial") c.fetch.url_template = "https://192.168.1.20/api/devices/{serial}";
    });
    const run = await runIn("production", [{ config }]);
    const [job] = run.jobs;
    expect(job!.status).toBe("failed");
    expect(job!.error).toMatchObject({ code: "unsafe_url", http_status: null });
    expect(job!.error!.message).toMatch(/config\.fetch\.url_template.*192\.168\.1\.20 is a private address/);
    expect(job!.error!.hint).toMatch(/https/);
    expect(job!.processed).toBe(0);
    expect((await sandboxStats()).requests).toBe(0);
  });

  it("fails in production when the OAuth token URL is unsafe, before asking it for a token", async () => {
    const auth: TestAuth = {
      scheme: "oauth2_client_credentials",
      config: { token_url: "https://auth.internal/oauth/token", client_id: "sync", client_auth: "basic" },
      secret: "client-secret",
    };
    const run = await runIn("production", [{ config: demoConfig(0) }], auth);
    const [job] = run.jobs;
    expect(job!.status).toBe("failed");
    expect(job!.error).toMatchObject({ code: "unsafe_url" });
    expect(job!.error!.message).toMatch(/token URL.*auth\.internal is an internal name/);
    expect((await sandboxStats()).token_requests).toBe(0);
  });

  it("runs the same contracts under development rules", async () => {
    const run = await runIn("development", [{ config: demoConfig(0) }]);
    expect(run.jobs[0]!.status).toBe("completed");
  });

  it("fails a stored update template whose placeholder comes before the path, writing nothing", async () => {
    // Saved before the rule existed: record data ({id} = ".evil.example") could have moved the host.
    const config = demoConfig(0, (c) => void (c.update.url_template = "http://localhost:8787{id}"));
    const run = await runIn("development", [{ config }]);
    const [job] = run.jobs;
    expect(job!.status).toBe("failed");
    expect(job!.error).toMatchObject({ code: "invalid_contract" });
    expect(job!.error!.message).toMatch(/update\.url_template: placeholders may appear only after the host/);
    expect((await sandboxStats()).writes).toBe(0);
  });
});
