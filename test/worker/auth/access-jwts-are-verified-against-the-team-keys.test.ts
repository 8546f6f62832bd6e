import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AccessJwtError, accessRole, createAccessVerifier } from "../../../worker/auth/access-jwt";
import { type AccessTeam, base64Url, makeAccessTeam } from "../factories";

function verifierFor(team: AccessTeam, now: () => number = Date.now) {
  return createAccessVerifier({ teamDomain: team.teamDomain, audience: team.audience, fetch: team.fetch, now });
}

async function rejection(promise: Promise<unknown>): Promise<AccessJwtError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AccessJwtError);
  return err as AccessJwtError;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe("Cloudflare Access JWT verification", () => {
  it("accepts a JWT the team signed for this application and names the person", async () => {
    const team = await makeAccessTeam();
    const exp = nowSeconds() + 600;
    const identity = await verifierFor(team)(await team.sign({ exp }));
    expect(identity).toEqual({ subject: "user-1", email: "ada@example.com", displayName: "ada@example.com", expiresAt: exp * 1000 });
  });

  it("accepts a service token, named by its common_name", async () => {
    const team = await makeAccessTeam();
    const identity = await verifierFor(team)(await team.sign({ email: undefined, sub: "", common_name: "ci.access" }));
    expect(identity).toMatchObject({ email: null, displayName: "ci.access" });
  });

  it("accepts aud as a plain string as well as a list", async () => {
    const team = await makeAccessTeam();
    await expect(verifierFor(team)(await team.sign({ aud: team.audience }))).resolves.toMatchObject({ subject: "user-1" });
  });

  it("rejects an expired JWT, but tolerates clock skew within the leeway", async () => {
    const team = await makeAccessTeam();
    const verify = verifierFor(team);
    const expired = await rejection(verify(await team.sign({ exp: nowSeconds() - 300 })));
    expect(expired.kind).toBe("invalid");
    expect(expired.message).toMatch(/expired/);
    await expect(verify(await team.sign({ exp: nowSeconds() - 20 }))).resolves.toBeTruthy();
  });

  it("rejects a JWT that is not valid yet", async () => {
    const team = await makeAccessTeam();
    const err = await rejection(verifierFor(team)(await team.sign({ nbf: nowSeconds() + 600 })));
    expect(err.message).toMatch(/not valid yet/);
  });

  it("rejects a JWT without an expiry", async () => {
    const team = await makeAccessTeam();
    const err = await rejection(verifierFor(team)(await team.sign({ exp: undefined })));
    expect(err.message).toMatch(/no expiry/);
  });

  it("rejects a JWT for another Access application", async () => {
    const team = await makeAccessTeam();
    const err = await rejection(verifierFor(team)(await team.sign({ aud: ["someone-elses-app"] })));
    expect(err.message).toMatch(/aud does not match ACCESS_AUD/);
  });

  it("rejects a JWT issued by another team", async () => {
    const team = await makeAccessTeam();
    const err = await rejection(verifierFor(team)(await team.sign({ iss: "https://evil.cloudflareaccess.com" })));
    expect(err.message).toMatch(/issued by "https:\/\/evil\.cloudflareaccess\.com"/);
  });

  it("rejects a JWT signed by a key the team never published, even under a known kid", async () => {
    const team = await makeAccessTeam();
    const err = await rejection(verifierFor(team)(await team.sign({}, { foreignKey: true })));
    expect(err.message).toMatch(/signature does not verify/);
  });

  it("rejects a JWT whose claims were changed after signing", async () => {
    const team = await makeAccessTeam();
    const [head, , signature] = (await team.sign()).split(".");
    const forgedBody = base64Url(
      JSON.stringify({ iss: `https://${team.teamDomain}`, aud: [team.audience], sub: "root", email: "root@example.com", exp: nowSeconds() + 600 }),
    );
    const err = await rejection(verifierFor(team)(`${head}.${forgedBody}.${signature}`));
    expect(err.message).toMatch(/signature does not verify/);
  });

  it("rejects algorithms other than RS256, including none", async () => {
    const team = await makeAccessTeam();
    const verify = verifierFor(team);
    for (const alg of ["none", "HS256", "RS512"]) {
      const err = await rejection(verify(await team.sign({}, { alg })));
      expect(err.message).toContain(`alg "${alg}"`);
    }
  });

  it("fetches the team's keys once and reuses them until the cache expires", async () => {
    const team = await makeAccessTeam();
    let now = Date.now();
    const verify = verifierFor(team, () => now);
    await verify(await team.sign());
    await verify(await team.sign());
    expect(team.certsRequests()).toBe(1);
    now += 11 * 60_000;
    await verify(await team.sign({ exp: Math.floor(now / 1000) + 600, nbf: Math.floor(now / 1000) }));
    expect(team.certsRequests()).toBe(2);
  });

  it("picks up a rotated key by refetching, but refetches at most every 30 seconds for unknown kids", async () => {
    const team = await makeAccessTeam();
    let now = Date.now();
    const verify = verifierFor(team, () => now);
    await verify(await team.sign());
    now += 31_000;
    await team.rotate();
    await expect(verify(await team.sign())).resolves.toMatchObject({ subject: "user-1" });
    expect(team.certsRequests()).toBe(2);

    const unknown = await rejection(verify(await team.sign({}, { kid: "forged-kid" })));
    expect(unknown.message).toMatch(/unknown key/);
    expect(team.certsRequests()).toBe(2);
  });

  it("keeps verifying with expired cached keys while the certs endpoint is down", async () => {
    const team = await makeAccessTeam();
    let now = Date.now();
    const verify = verifierFor(team, () => now);
    await verify(await team.sign());
    team.failCerts(true);
    now += 11 * 60_000;
    const stamp = Math.floor(now / 1000);
    await expect(verify(await team.sign({ exp: stamp + 600, nbf: stamp }))).resolves.toBeTruthy();
  });

  it("reports unreachable keys as unavailable, not as the caller's fault", async () => {
    const team = await makeAccessTeam();
    team.failCerts(true);
    const err = await rejection(verifierFor(team)(await team.sign()));
    expect(err.kind).toBe("unavailable");
    expect(err.message).toContain(`https://${team.teamDomain}/cdn-cgi/access/certs`);
  });

  it("rejects a second spelling of the signature that differs only in unused trailing bits", async () => {
    const team = await makeAccessTeam();
    const valid = await team.sign();
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // 256 signature bytes take 342 characters; the last one carries 2 bits and 4 unused ones.
    const last = alphabet.indexOf(valid.at(-1) ?? "");
    const respelled = valid.slice(0, -1) + alphabet[last ^ 1];
    const err = await rejection(verifierFor(team)(respelled));
    expect(err.message).toMatch(/not canonical/);
  });

  it("answers any malformed string with an AccessJwtError, never another exception", async () => {
    const team = await makeAccessTeam();
    const verify = verifierFor(team);
    const valid = await team.sign();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.array(fc.string(), { minLength: 3, maxLength: 3 }).map((parts) => parts.join(".")),
          fc.tuple(fc.nat({ max: valid.length - 1 }), fc.string({ minLength: 1, maxLength: 1 })).map(([i, ch]) => valid.slice(0, i) + ch + valid.slice(i + 1)),
          fc.nat({ max: valid.length - 1 }).map((i) => valid.slice(0, i)),
        ),
        async (candidate) => {
          fc.pre(candidate !== valid);
          await verify(candidate).then(
            () => {
              throw new Error(`accepted ${candidate}`);
            },
            (err: unknown) => expect(err).toBeInstanceOf(AccessJwtError),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("the role of an Access identity", () => {
  const roles = { ACCESS_ADMIN_EMAILS: "Ada@Example.com, grace@example.com", ACCESS_OPERATOR_EMAILS: "linus@example.com" };

  it.each([
    { email: "ada@example.com", config: roles, role: "admin", why: "listed as admin, case-insensitively" },
    { email: "grace@example.com", config: roles, role: "admin", why: "second in the admin list" },
    { email: "linus@example.com", config: roles, role: "operator", why: "listed as operator" },
    { email: "someone@example.com", config: roles, role: "viewer", why: "unlisted, default role unset" },
    { email: "someone@example.com", config: { ...roles, ACCESS_DEFAULT_ROLE: "operator" }, role: "operator", why: "unlisted, default operator" },
    { email: null, config: { ACCESS_DEFAULT_ROLE: " Admin " }, role: "admin", why: "a service token, default admin" },
    { email: "someone@example.com", config: { ACCESS_DEFAULT_ROLE: "superuser" }, role: "viewer", why: "an unknown default role" },
  ])("$email is $role: $why", ({ email, config, role }) => {
    expect(accessRole(config, email)).toBe(role);
  });
});
