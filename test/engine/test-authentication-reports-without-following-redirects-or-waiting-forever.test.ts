import { describe, expect, it } from "vitest";
import { createCredentialHeaders } from "../../worker/engine/credential-auth";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { runTestAuth } from "../../worker/engine/test-auth";
import { useLoopbackServers } from "./support/engine-fixtures";

const serve = useLoopbackServers();
const runtime = createSystemRuntime();
const bearer = (token: string) => createCredentialHeaders({ scheme: "bearer", token }, { runtime });

describe("runTestAuth", () => {
  it("reports a redirect without following it, so the credential goes only where it was sent", async () => {
    const elsewhere = await serve(() => ({ body: "should not be reached" }));
    const server = await serve(() => ({ status: 302, headers: { location: `${elsewhere.url}/login` } }));
    const report = await runTestAuth({ url: `${server.url}/devices`, auth: bearer("tok-redirect-1"), runtime, timeoutMs: 5_000 });

    expect(report).toMatchObject({ ok: false, request: { method: "GET", status: 302 }, error: { code: "redirected", http_status: 302 } });
    expect(report.error!.message).toContain(`${elsewhere.url}/login`);
    expect(server.requests[0]!.headers.authorization).toBe("Bearer tok-redirect-1");
    expect(elsewhere.requests).toHaveLength(0);
  });

  it("keeps only the start of a long body and flattens its whitespace", async () => {
    const server = await serve(() => ({ body: `{\n  "devices": [${'"x",'.repeat(400)} "y"]\n}` }));
    const report = await runTestAuth({ url: `${server.url}/devices`, auth: bearer("tok-long-2"), runtime, timeoutMs: 5_000, excerptChars: 40 });

    expect(report).toMatchObject({ ok: true, request: { status: 200 }, excerpt_truncated: true });
    expect(report.excerpt).toBe('{ "devices": ["x","x","x","x","x","x","x');
  });

  it("gives up after the timeout and says so", async () => {
    const server = await serve(() => ({ delayMs: 2_000, body: "late" }));
    const report = await runTestAuth({ url: `${server.url}/slow`, auth: bearer("tok-slow-3"), runtime, timeoutMs: 100 });

    expect(report).toMatchObject({ ok: false, request: { status: null }, error: { code: "timeout" } });
    expect(report.request!.duration_ms).toBeLessThan(1_500);
  });
});
