import { beforeEach, describe, expect, it } from "vitest";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { configureSandbox, countersOf, demoConfig, driveRun, makeCredentialWith, resetWorld, sandboxStats, startRun } from "../factories";

const SLOW = { timeout: 60_000 };
const RECORDS = demoSourceDevices().slice(0, 200);
const KEY = {
  access_key_id: "AKIAIOSFODNN7EXAMPLE",
  secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region: "eu-west-1",
  service: "execute-api",
};

beforeEach(async () => {
  await resetWorld();
  await configureSandbox({ aws_sigv4: KEY });
});

// A JSON connection (GET and PUT per serial) and an XML one, so both of the fleet's APIs check the signatures.
async function signedCredential(secret: string) {
  return makeCredentialWith(
    [
      { config: demoConfig(0), dry_run: false },
      { config: demoConfig(1), dry_run: false },
    ],
    RECORDS,
    { scheme: "aws_sigv4", config: { access_key_id: KEY.access_key_id, region: KEY.region, service: KEY.service }, secret },
  );
}

describe("an AWS Signature V4 credential", () => {
  it("signs every lookup and write, and the destination that checks each signature takes them all", SLOW, async () => {
    const { credentialId } = await signedCredential(KEY.secret_access_key);
    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
    expect(done.status).toBe("completed");
    for (const job of done.jobs) {
      expect(countersOf(job).processed).toBe(RECORDS.length);
      expect(job.failed).toBe(0);
    }
    const stats = await sandboxStats();
    expect(stats.unauthorized).toBe(0);
    expect(stats.writes).toBeGreaterThan(0);
  });

  it("for OpenSearch Serverless also sends the body's hash, which the destination checks against the body", SLOW, async () => {
    const aoss = { ...KEY, service: "aoss" };
    await configureSandbox({ aws_sigv4: aoss });
    const { credentialId } = await makeCredentialWith([{ config: demoConfig(0), dry_run: false }], RECORDS, {
      scheme: "aws_sigv4",
      config: { access_key_id: aoss.access_key_id, region: aoss.region, service: aoss.service },
      secret: aoss.secret_access_key,
    });
    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
    expect(done.status).toBe("completed");
    expect(done.jobs[0]!.failed).toBe(0);
    expect((await sandboxStats()).unauthorized).toBe(0);
  });

  it("with the wrong secret fails the job on the destination's 403 and says why", SLOW, async () => {
    const { credentialId } = await signedCredential("not-the-secret-access-key");
    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
    expect(done.status).toBe("failed");
    expect(done.jobs[0]!.error).toMatchObject({ http_status: 403 });
    expect(done.jobs[0]!.error?.message).toContain("signature we calculated does not match");
    expect((await sandboxStats()).writes).toBe(0);
  });
});
