import { describe, expect, it } from "vitest";
import { call, errorOf, unique } from "../api/config-api";

// The receiver is reachable by anyone who can reach the dashboard's origin, including a page in another tab
// that form-POSTs to it: what it answers must never render as a page, and what it captured (signed alert
// deliveries) is read only with an API token, like the delivery log.

const receiver = () => `/sandbox/_receiver/${unique("rcv").replace(/ /g, "-")}`;
const HTML = "<html><body><script>fetch('/api/tokens')</script></body></html>";

function expectInert(result: { headers: Headers }) {
  expect(result.headers.get("content-type")).toMatch(/^(text\/plain|application\/json)\b/);
  expect(result.headers.get("x-content-type-options")).toBe("nosniff");
}

describe("the sandbox webhook receiver", () => {
  it("answers a scripted reply as plain text whatever content type the script asks for", async () => {
    const path = receiver();
    const script = await call("PUT", `${path}/_script`, {
      as: "operator",
      body: { responses: [{ status: 200, body: HTML, headers: { "content-type": "text/html" } }] },
    });
    expect(script.status).toBe(400);
    expect(errorOf(script).message).toMatch(/content-type/);

    expect((await call("PUT", `${path}/_script`, { as: "operator", body: { responses: [{ status: 200, body: HTML }] } })).status).toBe(200);
    const answered = await call("POST", path, { as: null, raw: "x=1", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(answered.status).toBe(200);
    expect(answered.body).toBe(HTML);
    expectInert(answered);
  });

  it("echoes a request body as plain text, never as the content type it came with", async () => {
    const path = receiver();
    await call("PUT", `${path}/_script`, { as: "operator", body: { responses: [], then: { status: 401, echo: true } } });
    const echoed = await call("POST", path, { as: null, raw: HTML, headers: { "content-type": "text/html" } });
    expect(echoed.status).toBe(401);
    expect(echoed.body).toBe(HTML);
    expectInert(echoed);
  });

  it("still lets scripts set the headers a receiver test needs", async () => {
    const path = receiver();
    const script = await call("PUT", `${path}/_script`, {
      as: "operator",
      body: { responses: [{ status: 429, headers: { "Retry-After": "30" } }] },
    });
    expect(script.status).toBe(200);
    const throttled = await call("POST", path, { as: null, body: {} });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("30");
    expectInert(throttled);
  });

  it("takes deliveries without a token but shows them only to a signed-in caller", async () => {
    const path = receiver();
    const delivered = await call("POST", path, { as: null, body: { type: "alert.test" } });
    expect(delivered.status).toBe(200);

    const anonymous = await call("GET", path, { as: null });
    expect(anonymous.status).toBe(401);
    expect(JSON.stringify(anonymous.body)).not.toContain("alert.test");
    expectInert(anonymous);

    const name = path.split("/").at(-1)!;
    for (const variant of [
      `${path}/`,
      `/sandbox/%5Freceiver/${name}`,
      `/sandbox/_receiver/${encodeURIComponent(name).replace("r", "%72")}`,
      `/sandbox//_receiver/${name}`,
    ]) {
      const sneaky = await call("GET", variant, { as: null });
      expect(sneaky.status, variant).toBeGreaterThanOrEqual(400);
      expect(JSON.stringify(sneaky.body), variant).not.toContain("alert.test");
    }

    const viewer = await call<{ requests: Array<{ body: string }> }>("GET", path, { as: "viewer" });
    expect(viewer.status).toBe(200);
    expect(viewer.body.requests.map((r) => JSON.parse(r.body))).toEqual([{ type: "alert.test" }]);
    expectInert(viewer);
  });

  it("needs an operator token to script or clear a receiver", async () => {
    const path = receiver();
    await call("POST", path, { as: null, body: { n: 1 } });
    for (const [method, target] of [
      ["PUT", `${path}/_script`],
      ["DELETE", path],
    ] as const) {
      const body = method === "PUT" ? { responses: [] } : undefined;
      expect((await call(method, target, { as: null, body })).status, `${method} anonymous`).toBe(401);
      expect((await call(method, target, { as: "viewer", body })).status, `${method} viewer`).toBe(403);
    }
    expect((await call<{ requests: unknown[] }>("GET", path, { as: "viewer" })).body.requests).toHaveLength(1);
    expect((await call("DELETE", path, { as: "operator" })).status).toBe(204);
    expect((await call<{ requests: unknown[] }>("GET", path, { as: "viewer" })).body.requests).toEqual([]);
  });
});

describe("every sandbox route", () => {
  it.each([
    ["GET", "/sandbox/"],
    ["GET", "/sandbox/api/devices/DEV-00001"],
    ["GET", "/sandbox/api/devices/%3Cscript%3E"],
    ["GET", "/sandbox/xml/devices/DEV-00001"],
    ["GET", "/sandbox/no/such/%3Cb%3Eroute"],
    ["POST", "/sandbox/oauth/token"],
  ])("%s %s answers with nosniff and no rendering in a frame", async (method, path) => {
    const result = await call(method, path, { as: null });
    expect(result.headers.get("x-content-type-options")).toBe("nosniff");
    expect(result.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    expect(result.headers.get("content-type")).toMatch(/^(application\/json|application\/xml|text\/plain)\b/);
  });
});
