import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeEach, expect, it } from "vitest";
import type { JobSummary } from "../../../worker/schemas/runs";
import type { LiveServerMessage } from "../../../worker/live/protocol";
import { changeConnection, coordinatorStub, DEMO_IDS, demoConfig, makeToken, resetWorld, runStatus, startRun, stepRun } from "../factories";

beforeEach(async () => {
  await resetWorld();
});

// The demo credential's feed: the one that carries its runs' job progress.
async function openFeed(): Promise<{ jobs: (jobId: string) => JobSummary[]; close: () => void }> {
  const { token } = await makeToken("viewer");
  const response = await (exports.default as unknown as Fetcher).fetch(`http://localhost/api/live?credential=${DEMO_IDS.credential}`, {
    headers: { Upgrade: "websocket", authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(101);
  const socket = response.webSocket!;
  const messages: LiveServerMessage[] = [];
  socket.addEventListener("message", (event) => messages.push(JSON.parse(event.data as string) as LiveServerMessage));
  socket.accept();
  return {
    jobs: (jobId) => messages.flatMap((m) => (m.type === "job" && m.job.id === jobId ? [m.job] : [])),
    close: () => socket.close(1000, "test done"),
  };
}

// The publisher holds progress for up to 250 ms; this waits that out.
const settle = () => new Promise((resolve) => setTimeout(resolve, 400));

async function stepUntilRunning(runId: string, jobId: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const row = await env.LEDGER.prepare("SELECT status FROM jobs WHERE id = ?1").bind(jobId).first<{ status: string }>();
    if (row!.status !== "pending") return;
    await stepRun(runId);
  }
  throw new Error(`job ${jobId} did not start`);
}

it("a dataset job's first message already counts its 500 records in scope", { timeout: 60_000 }, async () => {
  const feed = await openFeed();
  const run = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
  const jobId = run.jobs[0]!.id;
  await stepUntilRunning(run.id, jobId);
  await settle();
  const first = feed.jobs(jobId)[0];
  expect(first).toMatchObject({ status: "running", processed: 0, in_scope: 500 });
  feed.close();
});

it("an HTTP source that reports its total shows the whole scope from its first page on", { timeout: 60_000 }, async () => {
  const feed = await openFeed();
  const run = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.bulk] });
  const jobId = run.jobs[0]!.id;
  const scopes: number[] = [];
  while ((await runStatus(run.id)) === "running") {
    await stepRun(run.id);
    await settle();
    const last = feed.jobs(jobId).at(-1);
    if (last !== undefined && last.processed > 0) scopes.push(last.in_scope ?? -1);
  }
  // Before its first page the scope is unknown ("not counted yet"), not zero.
  expect(feed.jobs(jobId).find((job) => job.status === "running")).toMatchObject({ processed: 0, in_scope: null });
  // The demo source pages 100 at a time: without the total the scope would grow 100, 200, … with the pages.
  expect(scopes.length).toBeGreaterThan(1);
  expect(new Set(scopes)).toEqual(new Set([500]));
  feed.close();
});

it("progress reaches an open dashboard while a slice runs, not only when it ends", { timeout: 60_000 }, async () => {
  // 100 lookups at 100 per second: one slice of about a second.
  const config = demoConfig(0, (c) => void (c.limits.requests_per_second = 100));
  await changeConnection(DEMO_IDS.json, { config });
  const feed = await openFeed();
  const run = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
  const jobId = run.jobs[0]!.id;
  await stepUntilRunning(run.id, jobId);
  await stepRun(run.id);
  await settle();
  const processed = feed.jobs(jobId).map((job) => job.processed);
  expect(processed.at(-1)).toBe(100);
  expect(processed.filter((n) => n > 0 && n < 100).length).toBeGreaterThanOrEqual(2);
  feed.close();
});

it("a bulk job reads its source up to a whole slice before the slice, not one page per slice", { timeout: 60_000 }, async () => {
  // The demo bulk source pages 100 at a time and the tests' slices take 100 records, 50 to a batch: 5,000 in bulk.
  const run = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.bulk] });
  const jobId = run.jobs[0]!.id;
  await stepUntilRunning(run.id, jobId);
  await stepRun(run.id);
  const snapshot = await coordinatorStub(run.id).snapshot(run.id);
  expect(snapshot.jobs[0]!.counters.processed).toBe(500);
});
