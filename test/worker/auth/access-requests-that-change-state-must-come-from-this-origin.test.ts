import { describe, expect, it } from "vitest";
import { ACCESS_JWT_HEADER } from "../../../worker/auth/access-jwt";
import { envWith, makeAccessTeam, makeGuardedApp, makeToken } from "../factories";

interface ErrorBody {
  error: { code: string; message: string };
}

const ORIGIN = "http://localhost";

async function accessSetup() {
  const team = await makeAccessTeam();
  const env = envWith({ ACCESS_TEAM_DOMAIN: team.teamDomain, ACCESS_AUD: team.audience, ACCESS_OPERATOR_EMAILS: "ada@example.com" });
  const app = makeGuardedApp({ fetch: team.fetch });
  const jwt = await team.sign();
  const post = (headers: Record<string, string>) =>
    app.request(`${ORIGIN}/api/run`, { method: "POST", headers: { [ACCESS_JWT_HEADER]: jwt, ...headers } }, env);
  return { app, env, jwt, post };
}

describe("a state-changing request signed in through Cloudflare Access (a cookie the browser sends by itself)", () => {
  it("is refused with 403 cross_site_request when its Origin is another site", async () => {
    const { post } = await accessSetup();
    const res = await post({ Origin: "https://evil.example" });
    expect(res.status).toBe(403);
    const body = await res.json<ErrorBody>();
    expect(body.error.code).toBe("cross_site_request");
    expect(body.error.message).toContain("https://evil.example");
  });

  it("is refused when the browser says it comes from another site (Sec-Fetch-Site) or from an opaque origin", async () => {
    const { post } = await accessSetup();
    const refused: Array<Record<string, string>> = [{ "Sec-Fetch-Site": "cross-site" }, { "Sec-Fetch-Site": "same-site" }, { Origin: "null" }];
    for (const headers of refused) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect((await res.json<ErrorBody>()).error.code).toBe("cross_site_request");
    }
  });

  it("is allowed from this origin, from the address bar, and from a client that is not a browser", async () => {
    const { post } = await accessSetup();
    const allowed: Array<Record<string, string>> = [{ Origin: ORIGIN, "Sec-Fetch-Site": "same-origin" }, { Origin: ORIGIN }, { "Sec-Fetch-Site": "none" }, {}];
    for (const headers of allowed) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers)).toBe(200);
      await res.arrayBuffer();
    }
  });

  it("does not apply to reads", async () => {
    const { app, env, jwt } = await accessSetup();
    const res = await app.request(
      `${ORIGIN}/api/read`,
      { headers: { [ACCESS_JWT_HEADER]: jwt, Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" } },
      env,
    );
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it("does not apply to a bearer token, which a browser never sends on its own", async () => {
    const { app, env } = await accessSetup();
    const token = await makeToken("operator");
    const res = await app.request(
      `${ORIGIN}/api/run`,
      { method: "POST", headers: { Authorization: `Bearer ${token.token}`, Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" } },
      env,
    );
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });
});
