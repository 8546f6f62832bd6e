import { ConflictError, notFound } from "../domain-errors";
import type { Env } from "../env";
import { readConfigSettings } from "../ledger/config-settings";
import { readPlanFacts } from "../ledger/run-plans";
import type { RunTrigger } from "../schemas/vocabulary";
import { planVerdict, type PlanView } from "./plan-state";
import { createRun, type CreateRunResult } from "./run-service";

// Plan and apply: a finished dry run's would-update writes are its plan; applying it starts a live run that
// sends exactly those writes (the apply jobs load the plan from the dry jobs' archives).

async function verdictOf(env: Pick<Env, "LEDGER">, runId: string, now: number) {
  const [facts, settings] = await Promise.all([readPlanFacts(env.LEDGER, runId), readConfigSettings(env.LEDGER)]);
  if (facts === null) throw notFound("run", runId);
  return { facts, verdict: planVerdict(facts, settings.plans.ttl_hours, now) };
}

export async function readPlan(env: Pick<Env, "LEDGER">, runId: string, now: number = Date.now()): Promise<PlanView> {
  return (await verdictOf(env, runId, now)).verdict.view;
}

export async function applyDryRun(env: Env, runId: string, requestedBy: string, trigger: RunTrigger, now: number = Date.now()): Promise<CreateRunResult> {
  const { facts, verdict } = await verdictOf(env, runId, now);
  if (verdict.refusal !== null) {
    const { code, message, meta } = verdict.refusal;
    throw new ConflictError(code, message, meta ? { meta } : {});
  }
  const planned = verdict.view.connections.filter((c) => c.would_update > 0);
  return createRun(
    env,
    {
      credentialId: facts.run.credential_id,
      type: facts.run.type,
      serial: facts.run.serial,
      mode: "live",
      connectionIds: planned.map((c) => c.connection_id),
      trigger,
      requestedBy,
      plan: { runId, jobIds: new Map(planned.map((c) => [c.connection_id, c.job_id])) },
    },
    now,
  );
}
