import { describe, expect, it } from "vitest";
import { createCredentialHeaders, credentialClientAuth } from "../../worker/engine/credential-auth";
import { makeClient } from "./factories";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { useLoopbackServers } from "./support/engine-fixtures";

const serve = useLoopbackServers();

// AWS's published Signature V4 test suite, case get-vanilla.
const SUITE = {
  scheme: "aws_sigv4",
  access_key_id: "AKIDEXAMPLE",
  secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region: "us-east-1",
  service: "service",
} as const;
const SUITE_TIME = Date.UTC(2015, 7, 30, 12, 36, 0);

describe("an AWS Signature V4 credential", () => {
  it("signs as AWS's own test suite expects", async () => {
    const auth = createCredentialHeaders(SUITE, { runtime: createSystemRuntime({ now: () => SUITE_TIME }) });
    expect(await auth.headers({ method: "GET", url: "https://example.amazonaws.com/" })).toEqual({
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
      "x-amz-date": "20150830T123600Z",
    });
    expect(auth.secrets()).toEqual([SUITE.secret_access_key]);
    expect(auth.refreshable).toBe(false);
  });

  it("signs the request's own headers and body, so a changed body or key gives another signature", async () => {
    const auth = createCredentialHeaders(SUITE, { runtime: createSystemRuntime({ now: () => SUITE_TIME }) });
    const put = {
      method: "PUT",
      url: "https://abc.execute-api.eu-west-1.amazonaws.com/prod/devices/DEV-1",
      headers: { "Idempotency-Key": "k-1", "content-type": "application/json" },
    };
    const a = (await auth.headers({ ...put, body: '{"state":"online"}' })).authorization!;
    const b = (await auth.headers({ ...put, body: '{"state":"offline"}' })).authorization!;
    expect(a).toContain("SignedHeaders=host;idempotency-key;x-amz-date,");
    expect(a).not.toBe(b);
    const other = createCredentialHeaders({ ...SUITE, secret_access_key: "another" }, { runtime: createSystemRuntime({ now: () => SUITE_TIME }) });
    expect((await other.headers({ ...put, body: '{"state":"online"}' })).authorization).not.toBe(a);
  });

  it("sends and signs the body's SHA-256 for S3 and OpenSearch Serverless, which refuse a request without it", async () => {
    const runtime = createSystemRuntime({ now: () => SUITE_TIME });
    const body = '{"serial":"DEV-1"}';
    const aoss = await createCredentialHeaders({ ...SUITE, service: "aoss" }, { runtime }).headers({
      method: "PUT",
      url: "https://abc123.eu-west-1.aoss.amazonaws.com/devices/_doc/DEV-1",
      body,
    });
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
    expect(aoss["x-amz-content-sha256"]).toBe(Buffer.from(digest).toString("hex"));
    expect(aoss.authorization).toContain("SignedHeaders=host;x-amz-content-sha256;x-amz-date,");
    const gateway = await createCredentialHeaders({ ...SUITE, service: "execute-api" }, { runtime }).headers({
      method: "PUT",
      url: "https://x.execute-api.eu-west-1.amazonaws.com/d",
      body,
    });
    expect(gateway["x-amz-content-sha256"]).toBeUndefined();
  });

  it("signs each attempt afresh when the HTTP client retries", async () => {
    const clock = { now: SUITE_TIME };
    // The first attempt is refused a minute "later", so the retry is signed at another time.
    const server = await serve(() => (server.requests.length === 1 ? ((clock.now += 60_000), { status: 503, body: "busy" }) : { body: { ok: true } }));
    const runtime = createSystemRuntime({ now: () => clock.now });
    const credential = createCredentialHeaders(SUITE, { runtime });
    const { client } = makeClient({ runtime, limits: { retry_attempts: 2 }, ...credentialClientAuth(() => credential) });
    await client.request({ method: "PUT", url: `${server.url}/devices/DEV-1`, body: "{}", headers: { "content-type": "application/json" } });
    const [first, second] = server.requests;
    expect(first!.headers["x-amz-date"]).toBe("20150830T123600Z");
    expect(second!.headers["x-amz-date"]).toBe("20150830T123700Z");
    expect(second!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/us-east-1\/service\/aws4_request, /);
    expect(second!.headers.authorization).not.toBe(first!.headers.authorization);
  });
});
