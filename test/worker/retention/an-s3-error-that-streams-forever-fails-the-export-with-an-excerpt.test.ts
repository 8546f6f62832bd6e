import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ExportTargetError, resolveExportTarget } from "../../../worker/retention/export-target";
import { makeS3Export } from "../factories";

async function s3Target(fetch: typeof globalThis.fetch) {
  const target = await resolveExportTarget(env, await makeS3Export(), { fetch });
  return target!;
}

describe("an S3 endpoint answering an error with a body that never ends", () => {
  it("fails the write with the status and an excerpt, and stops reading", async () => {
    let pulled = 0;
    let canceled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new TextEncoder().encode("<Error>".padEnd(4096, "x")));
      },
      cancel() {
        canceled = true;
      },
    });
    const target = await s3Target(async () => new Response(endless, { status: 500 }));

    const error = await target.put("2026-10-20/jobs.ndjson.gz", new Uint8Array([1, 2, 3]), "application/gzip").then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ExportTargetError);
    expect((error as Error).message).toMatch(/^S3 PUT 2026-10-20\/jobs\.ndjson\.gz answered 500: <Error>x+$/);
    expect(canceled).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});
