import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import dashboardHeaders from "../../../web/public/_headers?raw";
import { CONTENT_SECURITY_POLICY } from "../../../worker/auth/security-headers";
import { makeToken } from "../factories";

const worker = exports.default;

function expectBrowserDefences(res: Response): void {
  const csp = res.headers.get("Content-Security-Policy") ?? "";
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("connect-src 'self'");
  expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
  expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
  expect(res.headers.get("X-Frame-Options")).toBe("DENY");
}

describe("browser security headers", () => {
  it("are on the public health check", async () => {
    const res = await worker.fetch("http://localhost/api/health");
    expectBrowserDefences(res);
    await res.arrayBuffer();
  });

  it("are on an authenticated API answer", async () => {
    const { token } = await makeToken("viewer");
    const res = await worker.fetch("http://localhost/api/session", { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expectBrowserDefences(res);
    await res.arrayBuffer();
  });

  it("are on errors: a refused caller and an unknown route", async () => {
    const refused = await worker.fetch("http://localhost/api/runs");
    expect(refused.status).toBe(401);
    expectBrowserDefences(refused);
    await refused.arrayBuffer();

    const { token } = await makeToken("viewer");
    const missing = await worker.fetch("http://localhost/api/no-such-route", { headers: { Authorization: `Bearer ${token}` } });
    expect(missing.status).toBe(404);
    expectBrowserDefences(missing);
    await missing.arrayBuffer();
  });

  it("tell browsers and proxies to store no API or MCP answer, errors included", async () => {
    const { token } = await makeToken("admin");
    const headers = { Authorization: `Bearer ${token}` };
    const answers = [
      await worker.fetch("http://localhost/api/health"),
      await worker.fetch("http://localhost/api/tokens", { headers }),
      await worker.fetch("http://localhost/api/runs"),
      await worker.fetch("http://localhost/mcp", {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      }),
    ];
    for (const res of answers) {
      expect(res.headers.get("Cache-Control"), res.url).toBe("no-store");
      await res.arrayBuffer();
    }
    expect(answers.map((res) => res.status)).toEqual([200, 200, 401, 200]);
  });

  it("keep the reference page's own stricter policy (it has inline styles and no scripts)", async () => {
    const res = await worker.fetch("http://localhost/api/docs");
    expect(res.status).toBe(200);
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
    await res.arrayBuffer();
  });

  it("are the ones the dashboard's static assets are served with (web/public/_headers)", () => {
    // Assets are served without the worker running, so the same policy is written into the built _headers file.
    const rules = dashboardHeaders.split("\n").map((line) => line.trim());
    expect(rules[rules.findIndex((line) => !line.startsWith("#") && line !== "")]).toBe("/*");
    expect(rules).toContain(`Content-Security-Policy: ${CONTENT_SECURITY_POLICY}`);
    expect(rules).toContain("X-Content-Type-Options: nosniff");
    expect(rules).toContain("Referrer-Policy: no-referrer");
    expect(rules).toContain("X-Frame-Options: DENY");
  });
});
