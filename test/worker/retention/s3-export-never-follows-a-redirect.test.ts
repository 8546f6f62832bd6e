import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { resolveExportTarget } from "../../../worker/retention/export-target";
import { makeS3Export } from "../factories";

// A signed PUT carries the access key's signature and the day's logs: like every other outbound call, it goes
// only where it was addressed, and a redirect answer is a failed write.

describe("the S3 log export target", () => {
  it("sends its PUTs with redirect: manual and fails on a 307 without a second request", async () => {
    const requests: Request[] = [];
    const redirecting: typeof fetch = async (input, init) => {
      requests.push(new Request(input, init));
      return new Response(null, { status: 307, headers: { location: "https://elsewhere.example/collect" } });
    };
    const target = await resolveExportTarget(env, await makeS3Export(), { fetch: redirecting });
    await expect(target!.put("outbound-sync/2026-10-20/manifest.json", new TextEncoder().encode("{}"), "application/json")).rejects.toThrow(/307/);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.redirect).toBe("manual");
  });
});
