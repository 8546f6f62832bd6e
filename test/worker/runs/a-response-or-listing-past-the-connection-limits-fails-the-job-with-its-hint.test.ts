import { beforeEach, describe, expect, it } from "vitest";
import { hintFor } from "../../../worker/engine/errors";
import { demoConfig, driveRun, logsOf, makeCredentialWith, resetWorld, startRun } from "../factories";

const SLOW = { timeout: 60_000 };

async function fullRunOf(config: ReturnType<typeof demoConfig>) {
  const { credentialId } = await makeCredentialWith([{ config }]);
  return driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id);
}

beforeEach(async () => {
  await resetWorld();
});

describe("a connection's limits end a run that would read without bound", () => {
  it("a destination listing larger than max_response_bytes fails the job with response_too_large and its hint", SLOW, async () => {
    // The listing is read before the source, and its first page of 500 devices does not fit in 2 KiB.
    const config = demoConfig(2, (c) => void (c.limits.max_response_bytes = 2048));
    const run = await fullRunOf(config);

    const job = run.jobs[0]!;
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ code: "response_too_large", http_status: 200 });
    expect(job.error!.message).toContain("answered with more than 2 KiB");
    expect(job.error!.hint).toBe(hintFor("response_too_large", "listing"));
    const logs = await logsOf(job.id);
    expect(logs.some((l) => l.level === "ERROR" && l.message.startsWith("Job failed") && l.message.includes("response size limit"))).toBe(true);
  });

  it("a destination listing with more pages than max_pages fails the job with too_many_pages and its hint", SLOW, async () => {
    const config = demoConfig(2, (c) => {
      if (c.fetch.mode === "list") c.fetch.url = c.fetch.url.replace("per_page=500", "per_page=10");
      c.limits.max_pages = 3;
    });
    const run = await fullRunOf(config);

    const job = run.jobs[0]!;
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ code: "too_many_pages", http_status: null });
    expect(job.error!.message).toContain("after 3 pages");
    expect(job.error!.hint).toBe(hintFor("too_many_pages", "listing"));
    expect(job.processed).toBe(0);
  });

  it("an HTTP source with more pages than max_pages fails the job with too_many_pages", SLOW, async () => {
    const config = demoConfig(2, (c) => {
      if (c.source.kind === "http") c.source.url = c.source.url.replace("per_page=100", "per_page=5");
      c.limits.max_pages = 4;
    });
    const run = await fullRunOf(config);

    const job = run.jobs[0]!;
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ code: "too_many_pages" });
    expect(job.error!.message).toMatch(/\/sandbox\/source\/devices still had more pages after 4 pages/);
    // The four pages it was allowed were read and their records processed before the limit ended the job.
    expect(job.processed).toBe(20);
  });

  it("the same connections within their limits complete", SLOW, async () => {
    const run = await fullRunOf(demoConfig(2));
    expect(run.jobs[0]!.status).toBe("completed");
  });
});
