import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { contractUrls } from "../../../worker/auth/url-safety";
import { validateConnectionConfig } from "../../../worker/engine/contracts";
import { seedDemo } from "../../../worker/ledger/demo-seed";
import { demoSandboxBaseUrl } from "../../../worker/sandbox/demo-connections";

async function seededUrls(): Promise<string[]> {
  const { results } = await env.LEDGER.prepare("SELECT config_json FROM connections ORDER BY position").all<{ config_json: string }>();
  return results.flatMap((row) => {
    const verdict = validateConnectionConfig(JSON.parse(row.config_json));
    if (!verdict.ok) throw new Error("the seed stored an invalid configuration");
    return contractUrls(verdict.value).map(([, url]) => url);
  });
}

describe("the demo connections' URLs", () => {
  it("take the port of the request that seeded them (PORT=8796 npm start)", async () => {
    await seedDemo(env.LEDGER, Date.UTC(2026, 10, 1), { requestUrl: "http://localhost:8796/api/session", publicUrl: "http://localhost:8796" });
    const urls = await seededUrls();
    expect(urls.length).toBeGreaterThanOrEqual(6);
    for (const url of urls) expect(url).toMatch(/^http:\/\/localhost:8796\/sandbox\//);
  });

  it("fall back to a loopback PUBLIC_URL, then to :8787, when the dashboard is reached through another host", () => {
    expect(demoSandboxBaseUrl("http://127.0.0.1:8791/api/runs")).toBe("http://127.0.0.1:8791/sandbox");
    expect(demoSandboxBaseUrl("https://sync.example.com/api/runs", "http://localhost:8796")).toBe("http://localhost:8796/sandbox");
    expect(demoSandboxBaseUrl("https://sync.example.com/api/runs", "https://sync.example.com")).toBe("http://localhost:8787/sandbox");
    expect(demoSandboxBaseUrl("", undefined)).toBe("http://localhost:8787/sandbox");
  });
});
