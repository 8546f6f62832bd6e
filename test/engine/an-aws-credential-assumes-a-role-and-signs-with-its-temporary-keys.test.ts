import { describe, expect, it } from "vitest";
import { createCredentialHeaders, type CredentialAuth } from "../../worker/engine/credential-auth";
import { EngineError } from "../../worker/engine/errors";
import type { RequestAttempt } from "../../worker/engine/http-client";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { caught, useLoopbackServers } from "./support/engine-fixtures";

const serve = useLoopbackServers();
const USER = {
  access_key_id: "AKIAIOSFODNN7EXAMPLE",
  secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region: "eu-west-1",
  service: "execute-api",
};
const ROLE_ARN = "arn:aws:iam::210987654321:role/outbound-sync";
const REQUEST = { method: "PUT", url: "https://api.example.com/devices/SN-1", body: '{"name":"one"}' };

function assumed(n: number, expiresAt: Date): string {
  return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIATEMPORARY0000${n}</AccessKeyId>
      <SecretAccessKey>temporary/secret+${n}</SecretAccessKey>
      <SessionToken>session-token-${n}</SessionToken>
      <Expiration>${expiresAt.toISOString()}</Expiration>
    </Credentials>
  </AssumeRoleResult>
</AssumeRoleResponse>`;
}

function roleAuth(stsUrl: string, role: Partial<Extract<CredentialAuth, { scheme: "aws_sigv4" }>["role"]> = {}): CredentialAuth {
  return { scheme: "aws_sigv4", ...USER, role: { role_arn: ROLE_ARN, session_name: "outbound-sync", sts_url: stsUrl, ...role } };
}

describe("an AWS credential with a role", () => {
  it("assumes it with a signed AssumeRole, signs requests with the role's keys and session token, and renews them before they expire", async () => {
    let now = Date.UTC(2026, 11, 8, 9);
    let issued = 0;
    const server = await serve(() => ({ headers: { "content-type": "text/xml" }, body: assumed(++issued, new Date(now + 3_600_000)) }));
    const attempts: RequestAttempt[] = [];
    const auth = createCredentialHeaders(roleAuth(`${server.url}/`, { external_id: "fleet-7f3a" }), {
      runtime: createSystemRuntime({ now: () => now }),
      onAttempt: (attempt) => attempts.push(attempt),
    });

    const [first, second] = await Promise.all([auth.headers(REQUEST), auth.headers(REQUEST)]);
    expect(server.requests).toHaveLength(1);
    const sts = server.requests[0]!;
    expect(Object.fromEntries(new URLSearchParams(sts.body))).toEqual({
      Action: "AssumeRole",
      Version: "2011-06-15",
      RoleArn: ROLE_ARN,
      RoleSessionName: "outbound-sync",
      DurationSeconds: "3600",
      ExternalId: "fleet-7f3a",
    });
    // Signed by the user's own key, for STS in the credential's region.
    expect(sts.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20261208\/eu-west-1\/sts\/aws4_request, /);
    expect(first.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIATEMPORARY00001\/20261208\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*x-amz-security-token/,
    );
    expect(first["x-amz-security-token"]).toBe("session-token-1");
    expect(second["x-amz-security-token"]).toBe("session-token-1");
    expect(auth.secrets()).toEqual(expect.arrayContaining([USER.secret_access_key, "temporary/secret+1", "session-token-1"]));
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.response_body).toContain("<SecretAccessKey>[redacted]</SecretAccessKey>");
    expect(attempts[0]!.response_body).not.toContain("session-token-1");

    now += 54 * 60_000;
    await auth.headers(REQUEST);
    expect(server.requests).toHaveLength(1);
    now += 2 * 60_000;
    expect((await auth.headers(REQUEST))["x-amz-security-token"]).toBe("session-token-2");
    expect(server.requests).toHaveLength(2);
  });

  it("asks STS at most once a minute when the keys it gives are already near their expiry by this clock", async () => {
    let now = Date.UTC(2026, 11, 8, 9);
    let issued = 0;
    // A clock ten minutes ahead of AWS's: every Expiration looks five minutes away at best.
    const server = await serve(() => ({ body: assumed(++issued, new Date(now - 5 * 60_000)) }));
    const auth = createCredentialHeaders(roleAuth(`${server.url}/`), { runtime: createSystemRuntime({ now: () => now }) });
    await auth.headers(REQUEST);
    now += 30_000;
    await auth.headers(REQUEST);
    expect(server.requests).toHaveLength(1);
    now += 31_000;
    await auth.headers(REQUEST);
    expect(server.requests).toHaveLength(2);
  });

  it("signs for us-east-1 at STS's global endpoint, whatever the credential's region", async () => {
    const server = await serve(() => ({ body: assumed(1, new Date(Date.now() + 3_600_000)) }));
    const runtime = createSystemRuntime({ fetch: (_input, init) => fetch(`${server.url}/`, init) });
    await createCredentialHeaders(roleAuth("https://sts.amazonaws.com/"), { runtime }).headers(REQUEST);
    expect(server.requests[0]!.headers.authorization).toMatch(/\/us-east-1\/sts\/aws4_request, /);
  });

  it("fails with STS's code and message when the role's trust policy refuses, never with the key in it", async () => {
    const server = await serve(() => ({
      status: 403,
      headers: { "content-type": "text/xml" },
      body: `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::1:user/sync is not authorized to perform: sts:AssumeRole (key ${USER.secret_access_key})</Message></Error></ErrorResponse>`,
    }));
    const error = (await caught(createCredentialHeaders(roleAuth(`${server.url}/`), { runtime: createSystemRuntime() }).headers(REQUEST))) as EngineError;
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: "auth_failed", http_status: 403 });
    expect(error.message).toMatch(
      /^AWS STS http:\/\/127\.0\.0\.1:\d+\/ refused AssumeRole \(AccessDenied\): User: arn:aws:iam::1:user\/sync is not authorized/,
    );
    expect(error.message).not.toContain(USER.secret_access_key);
    expect(error.hint).toMatch(/trust policy/);
  });
});
