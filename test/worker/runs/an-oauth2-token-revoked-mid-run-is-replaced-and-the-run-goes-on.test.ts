import { beforeEach, describe, expect, it } from "vitest";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import {
  configureSandbox,
  countersOf,
  demoConfig,
  driveRun,
  logsOf,
  makeCredentialWith,
  resetWorld,
  runDetail,
  sandbox,
  sandboxStats,
  startRun,
  stepRun,
} from "../factories";
import { makeSigningKeyPair } from "../../support/signing-keys";

const SLOW = { timeout: 60_000 };
const CLIENT = { client_id: "fleet-sync", client_secret: "client secret 1", token_ttl_s: 3_600 };
const RECORDS = demoSourceDevices().slice(0, 300);

beforeEach(async () => {
  await resetWorld();
  await configureSandbox({ oauth: CLIENT });
});

async function oauthCredential(clientAuth: "basic" | "body") {
  return makeCredentialWith([{ config: demoConfig(0), dry_run: false }], RECORDS, {
    scheme: "oauth2_client_credentials",
    config: { token_url: "http://localhost/sandbox/oauth/token", client_id: CLIENT.client_id, client_auth: clientAuth },
    secret: CLIENT.client_secret,
  });
}

describe("an OAuth2 credential", () => {
  it("fetches one token for the whole job and reuses it", SLOW, async () => {
    const { credentialId } = await oauthCredential("body");
    const run = await startRun({ credential_id: credentialId, type: "full", mode: "dry" });
    const done = await driveRun(run.id);
    expect(done.status).toBe("completed");
    expect(done.jobs[0]!.processed).toBe(RECORDS.length);
    expect(done.jobs[0]!.failed).toBe(0);
    expect((await sandboxStats()).token_requests).toBe(1);
  });

  it("whose token is revoked mid-run gets a new one and finishes with nothing failed", SLOW, async () => {
    const { credentialId } = await oauthCredential("basic");
    const run = await startRun({ credential_id: credentialId, type: "full", mode: "live" });
    // Job start, then slices with the first token until part of the records went out.
    for (let step = 0; step < 10 && (await sandboxStats()).writes === 0; step++) await stepRun(run.id);
    const before = await sandboxStats();
    expect(before.writes).toBeGreaterThan(0);
    expect(before.token_requests).toBe(1);
    expect((await runDetail(run.id)).status).toBe("running");
    await sandbox("/oauth/_revoke", { method: "POST" });

    const done = await driveRun(run.id);
    const job = done.jobs[0]!;
    expect(done.status).toBe("completed");
    expect(countersOf(job).processed).toBe(RECORDS.length);
    expect(job.failed).toBe(0);
    const stats = await sandboxStats();
    // The first token, then one replacement however many requests met the revoked token at once.
    expect(stats.token_requests).toBe(2);
    expect(stats.unauthorized).toBeGreaterThan(0);
    expect(Math.max(0, ...Object.values(stats.writes_by_serial))).toBeLessThanOrEqual(1);
    const warnings = (await logsOf(job.id)).filter((line) => line.level === "WARN").map((line) => line.message);
    expect(warnings.some((message) => /^Access token rejected \(401\) on (GET|PUT) \/sandbox\/api\/devices\/\S+; fetching a new token/.test(message))).toBe(
      true,
    );
  });

  it("that the provider refuses fails the job with the credential hint", SLOW, async () => {
    await configureSandbox({ oauth: { ...CLIENT, client_secret: "rotated" } });
    const { credentialId } = await oauthCredential("basic");
    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id);
    expect(done.status).toBe("failed");
    expect(done.jobs[0]!.error?.http_status).toBe(401);
    expect(done.jobs[0]!.error?.hint).toMatch(/credential/i);
  });
});

describe("a service-account (JWT bearer) credential", () => {
  const ISSUER = "sync@fleet-project.iam.gserviceaccount.com";

  async function serviceAccount(privatePem: string) {
    return makeCredentialWith([{ config: demoConfig(0), dry_run: false }], RECORDS, {
      scheme: "oauth2_jwt_bearer",
      config: { token_url: "http://localhost/sandbox/oauth/token", issuer: ISSUER, algorithm: "ES256" },
      secret: privatePem,
    });
  }

  it("signs its way to a token the provider verifies, and signs again when that token is revoked mid-run", SLOW, async () => {
    const key = await makeSigningKeyPair("ES256");
    await configureSandbox({ oauth: null, oauth_jwt: { issuer: ISSUER, public_key: key.publicPem, token_ttl_s: 3_600 } });
    const { credentialId } = await serviceAccount(key.privatePem);
    const run = await startRun({ credential_id: credentialId, type: "full", mode: "live" });
    for (let step = 0; step < 10 && (await sandboxStats()).writes === 0; step++) await stepRun(run.id);
    expect((await sandboxStats()).token_requests).toBe(1);
    await sandbox("/oauth/_revoke", { method: "POST" });

    const done = await driveRun(run.id);
    expect(done.status).toBe("completed");
    expect(countersOf(done.jobs[0]!).processed).toBe(RECORDS.length);
    expect(done.jobs[0]!.failed).toBe(0);
    const stats = await sandboxStats();
    expect(stats.token_requests).toBe(2);
    expect(Math.max(0, ...Object.values(stats.writes_by_serial))).toBeLessThanOrEqual(1);
  });

  it("as a client signing its own assertions (private_key_jwt) writes every record with the token it gets", SLOW, async () => {
    const key = await makeSigningKeyPair("RS256");
    await configureSandbox({ oauth: { ...CLIENT, client_public_key: key.publicPem } });
    const { credentialId } = await makeCredentialWith([{ config: demoConfig(0), dry_run: false }], RECORDS, {
      scheme: "oauth2_client_credentials",
      config: { token_url: "http://localhost/sandbox/oauth/token", client_id: CLIENT.client_id, client_auth: "private_key_jwt" },
      secret: key.privatePem,
    });
    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
    expect(done.status).toBe("completed");
    expect(done.jobs[0]!.failed).toBe(0);
    expect((await sandboxStats()).token_requests).toBe(1);
  });

  it("whose key the provider does not know fails the job with the provider's reason and the credential hint", SLOW, async () => {
    const registered = await makeSigningKeyPair("ES256");
    await configureSandbox({ oauth: null, oauth_jwt: { issuer: ISSUER, public_key: registered.publicPem, token_ttl_s: 3_600 } });
    const { credentialId } = await serviceAccount((await makeSigningKeyPair("ES256")).privatePem);
    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id);
    expect(done.status).toBe("failed");
    expect(done.jobs[0]!.error).toMatchObject({ code: "auth_failed", http_status: 400 });
    expect(done.jobs[0]!.error?.message).toContain("Invalid JWT Signature.");
    expect(done.jobs[0]!.error?.hint).toMatch(/registered with the provider/);
    expect((await sandboxStats()).writes).toBe(0);
  });
});
