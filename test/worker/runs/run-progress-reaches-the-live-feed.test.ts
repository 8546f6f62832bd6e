import { exports } from "cloudflare:workers";
import { beforeEach, expect, it } from "vitest";
import type { LiveServerMessage } from "../../../worker/live/protocol";
import { coordinatorStub, DEMO_IDS, makeToken, resetWorld, runStatus, startRun, stepRun } from "../factories";

beforeEach(async () => {
  await resetWorld();
});

// The demo credential's feed: the one that carries its runs' job progress.
async function openFeed(): Promise<{ messages: LiveServerMessage[]; close: () => void }> {
  const { token } = await makeToken("viewer");
  const response = await (exports.default as unknown as Fetcher).fetch(`http://localhost/api/live?credential=${DEMO_IDS.credential}`, {
    headers: { Upgrade: "websocket", authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(101);
  const socket = response.webSocket!;
  const messages: LiveServerMessage[] = [];
  socket.addEventListener("message", (event) => {
    messages.push(JSON.parse(event.data as string) as LiveServerMessage);
  });
  socket.accept();
  return { messages, close: () => socket.close(1000, "test done") };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

it("every slice and status change of a run reaches an open dashboard as it happens", { timeout: 60_000 }, async () => {
  const feed = await openFeed();
  const run = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
  await settle();
  const started = feed.messages.filter((m) => m.type === "run" && m.run.id === run.id);
  expect(started.at(-1)).toMatchObject({ type: "run", run: { status: "running" } });

  const seen: number[] = [];
  while ((await runStatus(run.id)) === "running") {
    await stepRun(run.id);
    // Within half a second of each step the feed holds what the coordinator counted (progress is throttled to 4/s;
    // the ledger follows within seconds).
    const snapshot = (await coordinatorStub(run.id).snapshot()).jobs[0]!;
    const job = { id: snapshot.job_id, processed: snapshot.counters.processed, status: snapshot.status };
    const deadline = Date.now() + 500;
    let last: LiveServerMessage | undefined;
    do {
      await new Promise((resolve) => setTimeout(resolve, 20));
      last = feed.messages.filter((m) => m.type === "job" && m.job.id === job.id).at(-1);
    } while (Date.now() < deadline && !(last?.type === "job" && last.job.processed === job.processed && last.job.status === job.status));
    expect(last).toMatchObject({ type: "job", job: { processed: job.processed, status: job.status } });
    seen.push(job.processed);
  }
  expect(seen).toContain(100);
  expect(seen.at(-1)).toBe(500);
  const finished = feed.messages.filter((m) => m.type === "run" && m.run.id === run.id).at(-1);
  expect(finished).toMatchObject({ type: "run", run: { status: "completed" }, jobs: [{ status: "completed", would_update: 142 }] });
  feed.close();
});
