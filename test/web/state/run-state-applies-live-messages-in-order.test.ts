import { describe, expect, it } from "vitest";
import { RunsState } from "../../../web/src/state/runs.svelte";
import type { LiveMessage, RunDetail } from "../../../web/src/lib/run-types";
import { makeJob, makeRun, makeRunDetail } from "../factories";

// The store reads a run's detail when it needs one; tests hand it these instead of the network.
function storeReading(details: Record<string, RunDetail> = {}) {
  const reads: string[] = [];
  const store = new RunsState(async (id) => {
    reads.push(id);
    const detail = details[id];
    if (!detail) throw new Error(`no detail for ${id}`);
    return detail;
  });
  return { store, reads };
}

describe("the run state", () => {
  it("takes a snapshot as the set of active runs, newest first", () => {
    const { store } = storeReading();
    const older = makeRunDetail({ status: "running", created_at: "2026-11-22T10:00:00Z" });
    const newer = makeRunDetail({ status: "pending", created_at: "2026-11-22T11:00:00Z" });

    store.apply([{ type: "snapshot", credential_id: null, runs: [older, newer], at: "2026-11-22T11:00:01Z" }]);

    expect(store.activeIds).toEqual([newer.id, older.id]);
    expect(store.get(older.id)?.jobs).toHaveLength(1);
  });

  it("applies job deltas to their run and ignores ones older than what it shows", () => {
    const { store } = storeReading();
    const run = makeRunDetail({ status: "running" }, [{ processed: 0 }, { processed: 0 }]);
    const [first] = run.jobs;
    if (!first) throw new Error("factory gave no jobs");
    store.remember(run);

    const messages: LiveMessage[] = [
      { type: "job", job: { ...first, processed: 200 }, seq: 2 },
      { type: "job", job: { ...first, processed: 100 }, seq: 1 },
    ];
    store.apply(messages);

    expect(store.job(first.id)?.processed).toBe(200);
    expect(store.get(run.id)?.jobs?.[1]?.processed).toBe(0);
  });

  it("never moves a finished run back to running on a late message", () => {
    const { store } = storeReading();
    const run = makeRun({ status: "completed", finished_at: "2026-11-22T12:05:00Z" });
    store.remember(run);

    store.apply([{ type: "run", run: { ...run, status: "running", finished_at: null }, seq: 3 }]);

    expect(store.get(run.id)?.run.status).toBe("completed");
    expect(store.activeIds).toEqual([]);
  });

  it("lists a run it first hears of from the feed as an arrival, with the jobs the message carried", () => {
    const { store } = storeReading();
    const run = makeRun({ status: "pending" });

    store.apply([{ type: "run", run, jobs: [makeJob({ run_id: run.id, position: 2 }), makeJob({ run_id: run.id, position: 1 })], seq: 4 }]);

    expect(store.arrivals).toEqual([run.id]);
    expect(store.get(run.id)?.jobs?.map((job) => job.position)).toEqual([1, 2]);
  });

  it("reads how a run ended when it drops out of a snapshot", async () => {
    const running = makeRunDetail({ status: "running" });
    const finished = { ...running, status: "completed" as const, finished_at: "2026-11-22T12:10:00Z" };
    const { store, reads } = storeReading({ [running.id]: finished });
    store.apply([{ type: "snapshot", credential_id: null, runs: [running], at: "2026-11-22T12:00:00Z" }]);

    store.apply([{ type: "snapshot", credential_id: null, runs: [], at: "2026-11-22T12:10:01Z" }]);
    await expect.poll(() => store.get(running.id)?.run.status).toBe("completed");

    expect(reads).toEqual([running.id]);
    expect(store.activeIds).toEqual([]);
  });

  it("takes a credential's snapshot as that credential's active runs only, and a runs-feed snapshot as runs without jobs", async () => {
    const mine = makeRunDetail({ status: "running", credential_id: "cred_mine" });
    const other = makeRunDetail({ status: "running", credential_id: "cred_other" });
    const mineFinished = { ...mine, status: "completed" as const, finished_at: "2026-11-22T12:10:00Z" };
    const { store, reads } = storeReading({ [mine.id]: mineFinished });
    store.apply([{ type: "snapshot", credential_id: null, runs: [mine, other], at: "2026-11-22T12:00:00Z" }]);

    // The runs feed carries no jobs: a run's jobs held from elsewhere stay.
    const { jobs: _jobs, ...otherSummary } = other;
    store.apply([{ type: "snapshot", credential_id: null, runs: [mine, otherSummary], at: "2026-11-22T12:00:01Z" }]);
    expect(store.get(other.id)?.jobs).toEqual(other.jobs);

    // cred_mine's feed no longer lists its run: that run finished; cred_other's run is not this feed's to judge.
    store.apply([{ type: "snapshot", credential_id: "cred_mine", runs: [], at: "2026-11-22T12:10:01Z" }]);
    await expect.poll(() => store.get(mine.id)?.run.status).toBe("completed");
    expect(reads).toEqual([mine.id]);
    expect(store.activeIds).toEqual([other.id]);
  });

  it("reads a run's final jobs when the runs feed tells of its finish without them", async () => {
    const running = makeRunDetail({ status: "running" }, [{ status: "running", processed: 134 }]);
    const finished = { ...running, status: "completed" as const, jobs: running.jobs.map((job) => ({ ...job, status: "completed" as const, processed: 141 })) };
    const { store, reads } = storeReading({ [running.id]: finished });
    store.apply([{ type: "snapshot", credential_id: running.credential_id, runs: [running], at: "2026-11-22T12:00:00Z" }]);

    const { jobs: _jobs, ...summary } = finished;
    store.apply([{ type: "run", run: summary, seq: 9 }]);
    await expect.poll(() => store.get(running.id)?.jobs?.[0]?.processed).toBe(141);
    expect(reads).toEqual([running.id]);
  });

  it("keeps a finished job when a read that left before the finish answers with it still running", () => {
    const { store } = storeReading();
    const running = makeRunDetail({ status: "running" }, [{ status: "running", processed: 10 }]);
    const job = running.jobs[0];
    if (!job) throw new Error("factory gave no jobs");
    store.remember(running);
    store.apply([{ type: "job", job: { ...job, status: "failed", processed: 12 }, seq: 4 }]);

    store.remember(running);

    expect(store.job(job.id)?.status).toBe("failed");
    expect(store.job(job.id)?.processed).toBe(12);
  });

  it("reads a run again when asked while an earlier read of it is still out", async () => {
    const running = makeRunDetail({ status: "running" }, [{ status: "running", processed: 3 }]);
    const finished = { ...running, status: "failed" as const, jobs: running.jobs.map((job) => ({ ...job, status: "failed" as const, processed: 3 })) };
    const answers = [running, finished];
    let release: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const store = new RunsState(async () => {
      calls += 1;
      if (calls === 1) await firstHeld;
      return answers[calls - 1] ?? finished;
    });
    const first = store.refresh(running.id);
    void store.refresh(running.id);
    release();
    await first;

    expect(calls).toBe(2);
    expect(store.get(running.id)?.jobs?.[0]?.status).toBe("failed");
  });

  it("reads the whole run when a job arrives for a run it holds no job list for", async () => {
    const detail = makeRunDetail({ status: "running" });
    const { store, reads } = storeReading({ [detail.id]: detail });
    store.remember(makeRun({ id: detail.id, status: "running" }));
    const job = detail.jobs[0];
    if (!job) throw new Error("factory gave no jobs");

    store.apply([{ type: "job", job: { ...job, processed: 5 }, seq: 5 }]);
    await expect.poll(() => store.get(detail.id)?.jobs?.length).toBe(1);

    expect(reads).toEqual([detail.id]);
  });

  it("keeps the feed's error to show, and a fresh snapshot clears it", () => {
    const { store } = storeReading();

    store.apply([{ type: "error", code: "overloaded", message: "Too many viewers" }, { type: "pong" }]);
    expect(store.feedError).toBe("Too many viewers");

    store.apply([{ type: "snapshot", credential_id: null, runs: [], at: "2026-11-22T12:00:00Z" }]);
    expect(store.feedError).toBeNull();
  });
});
