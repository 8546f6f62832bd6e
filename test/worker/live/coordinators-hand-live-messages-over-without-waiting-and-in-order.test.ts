import { describe, expect, it } from "vitest";
import type { LiveUpdate } from "../../../worker/live/protocol";
import { LivePublisher } from "../../../worker/runs/live-publisher";
import type { JobSummary, RunSummary } from "../../../worker/schemas/runs";
import { toJobSummary, toRunSummary } from "../../../worker/ledger/run-views";
import { makeRun } from "../factories";

interface Gate {
  open: () => void;
  sent: Array<{ credentialId: string; message: LiveUpdate }>;
  publisher: LivePublisher;
  deferred: Promise<unknown>[];
}

// A hub that holds every publish until the gate opens.
function gated(now: () => number): Gate {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  const sent: Gate["sent"] = [];
  const deferred: Promise<unknown>[] = [];
  const publisher = new LivePublisher(
    async (credentialId, message) => {
      await opened;
      sent.push({ credentialId, message });
    },
    (work) => deferred.push(work),
    now,
  );
  return { open, sent, publisher, deferred };
}

async function fixtures(): Promise<{ run: RunSummary; job: JobSummary }> {
  const row = await makeRun({ status: "running" }, [{ status: "running", processed: 0, in_scope: 10 }]);
  return { run: toRunSummary({ ...row, idempotency_key: null }), job: toJobSummary(row.jobs[0]!, row.mode) };
}

describe("the coordinator's live publisher", () => {
  it("returns at once while the hub has not answered, then delivers each job's newest state after its older ones", async () => {
    const { run, job } = await fixtures();
    let clock = 1_000;
    const gate = gated(() => clock);
    gate.publisher.offerJob(run.credential_id, { ...job, processed: 1 }, true);
    gate.publisher.publishRun(run, [job]);
    clock += 1;
    gate.publisher.offerJob(run.credential_id, { ...job, processed: 2 }, true);
    clock += 1;
    gate.publisher.offerJob(run.credential_id, { ...job, processed: 3 }, true);
    // Nothing was delivered yet, and nothing waited for it: one pump, handed to waitUntil.
    expect(gate.sent).toEqual([]);
    expect(gate.deferred).toHaveLength(1);

    gate.open();
    await gate.publisher.drained();
    const jobMessages = gate.sent.flatMap(({ message }) => (message.type === "job" ? [message] : []));
    // The first was in flight when the others came; of those only the newest was still worth sending.
    expect(jobMessages.map((m) => m.job.processed)).toEqual([1, 3]);
    expect(gate.sent.map(({ message }) => message.type)).toEqual(["job", "run", "job"]);
    const seqs = gate.sent.map(({ message }) => message.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(gate.sent.every(({ credentialId }) => credentialId === run.credential_id)).toBe(true);
  });

  it("numbers messages on from the clock, so a coordinator restarted after an eviction is not taken for stale", async () => {
    const { run } = await fixtures();
    const first = gated(() => 5_000);
    first.publisher.publishRun(run);
    first.publisher.publishRun(run);
    first.open();
    await first.publisher.drained();
    const restarted = gated(() => 5_010);
    restarted.publisher.publishRun(run);
    restarted.open();
    await restarted.publisher.drained();
    const before = first.sent.map(({ message }) => message.seq);
    const after = restarted.sent[0]!.message.seq;
    expect(Math.max(...before)).toBeLessThan(after);
  });
});
