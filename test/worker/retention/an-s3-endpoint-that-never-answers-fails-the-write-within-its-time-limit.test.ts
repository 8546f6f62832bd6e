import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ExportTargetError, resolveExportTarget } from "../../../worker/retention/export-target";
import { makeS3Export } from "../factories";

// The endpoint takes the request and then says nothing: no status, no headers, until the caller lets go.
function silentS3(seen: { aborted: boolean }): typeof fetch {
  return (_input, init) =>
    new Promise<Response>((_, reject) => {
      init?.signal?.addEventListener("abort", () => {
        seen.aborted = true;
        reject(init.signal?.reason);
      });
    });
}

describe("an S3 endpoint that never answers", () => {
  it("fails the write with the time limit it passed, and lets the request go", async () => {
    const seen = { aborted: false };
    const target = (await resolveExportTarget(env, await makeS3Export(), { fetch: silentS3(seen), timeoutMs: 50 }))!;

    const error = await target.put("2026-10-20/jobs.ndjson.gz", new Uint8Array([1, 2, 3]), "application/gzip").then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ExportTargetError);
    // 50 ms plus a second for the body's (partial) MiB.
    expect((error as Error).message).toBe("S3 PUT 2026-10-20/jobs.ndjson.gz got no complete answer within 1.05 s");
    expect(seen.aborted).toBe(true);
  });

  it("still fails in time when the endpoint ignores the abort and never settles", async () => {
    const target = (await resolveExportTarget(env, await makeS3Export(), { fetch: () => new Promise<Response>(() => undefined), timeoutMs: 20 }))!;

    await expect(target.put("2026-10-21/logs.ndjson.gz", new Uint8Array(0), "application/gzip")).rejects.toThrow(
      "S3 PUT 2026-10-21/logs.ndjson.gz got no complete answer within 0.02 s",
    );
  });
});
