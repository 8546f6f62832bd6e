// The real worker (worker/index.ts) for bench/scale/live.ts, plus BenchPublisher: a stand-in for a run's
// coordinator that publishes synthetic progress through the coordinators' own path (LivePublisher →
// publishLive → the credential's hub and the runs hub), so 200 concurrent runs cost no real syncs.
// Each job message carries the moment it was handed over in `bytes_sent`, each run message in `finished_at`.
// Plain JS like the other bench workers: bench/ is type-checked for Node, this runs in workerd.
import { DurableObject } from "cloudflare:workers";
import worker, { AlertChannelSender, LiveHub, RunCoordinator, SandboxFleet } from "../../worker/index";
import { publishLive } from "../../worker/live/publish";
import { LIVE_THROTTLE_MS, LivePublisher } from "../../worker/runs/live-publisher";

export { AlertChannelSender, LiveHub, RunCoordinator, SandboxFleet };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export class BenchPublisher extends DurableObject {
  // plan: { run: RunSummary, job: JobSummary, ticks, everyMs, startAt }
  async drive(plan) {
    const publisher = new LivePublisher(
      (credentialId, message) => publishLive(this.env, credentialId, message),
      (work) => this.ctx.waitUntil(work),
    );
    const { run, job } = plan;
    await sleep(plan.startAt - Date.now());
    const stamp = () => new Date(Date.now()).toISOString();
    publisher.publishRun({ ...run, status: "running", finished_at: stamp() }, [{ ...job, status: "running" }]);
    for (let i = 1; i <= plan.ticks; i++) {
      await sleep(plan.everyMs);
      publisher.offerJob(run.credential_id, { ...job, status: "running", processed: i, bytes_sent: Date.now() }, false);
    }
    await sleep(LIVE_THROTTLE_MS);
    const done = { ...job, status: "completed", processed: plan.ticks, bytes_sent: Date.now() };
    publisher.offerJob(run.credential_id, done, true);
    publisher.publishRun({ ...run, status: "completed", finished_at: stamp() }, [done]);
    await publisher.drained();
    return { offered: plan.ticks + 1 };
  }
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/drive") {
      const plan = await request.json();
      const stub = env.BENCH_PUBLISHER.get(env.BENCH_PUBLISHER.idFromName(plan.run.id));
      return Response.json(await stub.drive(plan));
    }
    return worker.fetch(request, env, ctx);
  },
};
