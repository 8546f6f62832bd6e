import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { importSigningKey, JWT_BEARER_GRANT, signAssertion } from "../../../worker/engine/jwt-assertion";
import { createOutboundFetch } from "../../../worker/sandbox/outbound-fetch";
import { makeSigningKeyPair } from "../../support/signing-keys";
import { configureSandbox, resetWorld } from "../factories";

const TOKEN_URL = "http://localhost/sandbox/oauth/token";
const ISSUER = "sync@fleet-project.iam.gserviceaccount.com";
const pair = await makeSigningKeyPair("RS256");

beforeEach(async () => {
  await resetWorld();
  await configureSandbox({ oauth_jwt: { issuer: ISSUER, public_key: pair.publicPem, token_ttl_s: 600 } });
});

async function trade(assertion: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await createOutboundFetch(env)(TOKEN_URL, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
  });
  return { status: res.status, body: await res.json() };
}

async function signed(claims: Record<string, unknown> = {}, privatePem = pair.privatePem): Promise<string> {
  const key = await importSigningKey(privatePem, "RS256");
  return signAssertion(key, "RS256", { iss: ISSUER, aud: TOKEN_URL, ...claims } as never, Date.now());
}

describe("the sandbox's token endpoint, given a JWT bearer assertion", () => {
  it("issues a token for a good one, and refuses the same assertion sent again", async () => {
    const assertion = await signed();
    const first = await trade(assertion);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: "Bearer", expires_in: 600, access_token: expect.stringMatching(/^sbx_at_/) });
    const again = await trade(assertion);
    expect(again).toMatchObject({ status: 400, body: { error: "invalid_grant", error_description: expect.stringMatching(/was used already/) } });
  });

  it("refuses another key's signature, another issuer and another audience, each with its reason", async () => {
    const other = await makeSigningKeyPair("RS256");
    expect((await trade(await signed({}, other.privatePem))).body).toMatchObject({ error: "invalid_grant", error_description: "Invalid JWT Signature." });
    expect((await trade(await signed({ iss: "someone@example.com" }))).body.error_description).toMatch(/not the registered issuer/);
    expect((await trade(await signed({ aud: "https://oauth2.googleapis.com/token" }))).body.error_description).toMatch(
      /is not http:\/\/localhost\/sandbox\/oauth\/token/,
    );
    expect((await trade("not.a.jwt")).body.error_description).toMatch(/not base64url JSON/);
  });
});
