import { beforeEach, describe, expect, it } from "vitest";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { call } from "../api/config-api";
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

describe("an AWS Signature V4 credential that assumes a role", () => {
  const ROLE = { role_arn: "arn:aws:iam::210987654321:role/outbound-sync", external_id: "fleet-7f3a" };
  const STS_URL = "http://localhost/sandbox/sts";

  async function roleCredential(config: Record<string, unknown>) {
    return makeCredentialWith([{ config: demoConfig(0), dry_run: false }], RECORDS, {
      scheme: "aws_sigv4",
      config: { access_key_id: KEY.access_key_id, region: KEY.region, service: KEY.service, sts_url: STS_URL, ...config },
      secret: KEY.secret_access_key,
    });
  }

  it("assumes it once and signs every request with its temporary keys, which the destination requires", SLOW, async () => {
    await configureSandbox({ aws_sigv4: { ...KEY, ...ROLE } });
    const { credentialId } = await roleCredential(ROLE);
    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
    expect(done.status).toBe("completed");
    expect(done.jobs[0]!.failed).toBe(0);
    const stats = await sandboxStats();
    expect(stats).toMatchObject({ unauthorized: 0, token_requests: 1 });
    expect(stats.writes).toBeGreaterThan(0);

    // The AssumeRole call is in the job's request log, the role's secret and session token masked.
    const requests = await call<{ data: Array<{ phase: string; url: string; status: number; request_body: string; response_body: string }> }>(
      "GET",
      `/api/jobs/${done.jobs[0]!.id}/requests?limit=500`,
    );
    const assumed = requests.body.data.filter((entry) => entry.url === STS_URL);
    expect(assumed).toHaveLength(1);
    expect(assumed[0]).toMatchObject({ phase: "token", status: 200 });
    expect(assumed[0]!.request_body).toContain("Action=AssumeRole");
    expect(assumed[0]!.response_body).toMatch(/<SecretAccessKey>\[redacted\]<\/SecretAccessKey>/);
    expect(assumed[0]!.response_body).toMatch(/<SessionToken>\[redacted\]<\/SessionToken>/);
    expect(assumed[0]!.response_body).toMatch(/<AccessKeyId>ASIA[0-9A-F]{16}<\/AccessKeyId>/);
  });

  it("that its trust policy refuses fails the job with STS's word and what to check", SLOW, async () => {
    await configureSandbox({ aws_sigv4: { ...KEY, ...ROLE } });
    const { credentialId } = await roleCredential({ ...ROLE, external_id: "someone-else" });
    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
    expect(done.status).toBe("failed");
    expect(done.jobs[0]!.error).toMatchObject({ code: "auth_failed", http_status: 403 });
    expect(done.jobs[0]!.error!.message).toMatch(/AWS STS .* refused AssumeRole \(AccessDenied\): User: .* is not authorized to perform: sts:AssumeRole/);
    expect(done.jobs[0]!.error!.hint).toMatch(/trust policy/);
    expect((await sandboxStats()).writes).toBe(0);
  });

  it("without a role is refused by a destination that takes only the role's keys", SLOW, async () => {
    await configureSandbox({ aws_sigv4: { ...KEY, ...ROLE } });
    const { credentialId } = await roleCredential({});
    const done = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
    expect(done.status).toBe("failed");
    expect(done.jobs[0]!.error?.message).toContain("The security token included in the request is invalid");
  });
});
