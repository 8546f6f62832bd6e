import type { Env } from "../env";
import { commitAlertTransitions } from "../ledger/alert-transitions";
import { readPauseJudgement } from "../ledger/connection-pause";
import { newId } from "../ledger/ids";
import { errorMessage } from "../../shared/lang";
import { enqueueAlertEvents } from "./alert-queue";
import type { AlertLevel } from "./incident-state";
import { planOutsideTransition } from "./outside-transitions";
import { publicUrl } from "./resolve-channel";
import { log } from "../observability/log";

// The connection_paused alert: a warning one failed job before the failure streak pauses the connection,
// critical while it is paused, resolved when it is resumed or the streak ends first.

export interface PauseFacts {
  pausedAt: number | null;
  pausedReason: string | null;
  consecutiveFailures: number;
  // connections.pause_after_failed_runs; 0 never pauses.
  pauseAfter: number;
}

export function pauseLevel(facts: PauseFacts): AlertLevel {
  if (facts.pausedAt !== null) return "critical";
  if (facts.pauseAfter > 1 && facts.consecutiveFailures >= facts.pauseAfter - 1) return "warning";
  return "ok";
}

export function pauseSummary(facts: PauseFacts): string {
  switch (pauseLevel(facts)) {
    case "critical":
      return `Paused: ${facts.pausedReason ?? "failed too many runs in a row"}. The schedule skips it until someone resumes it`;
    case "warning":
      return `Failed ${facts.consecutiveFailures} runs in a row: pauses after one more failed run`;
    case "ok":
      return facts.consecutiveFailures === 0 ? "Resumed, or synced again: no longer paused" : `Failed ${facts.consecutiveFailures} runs in a row`;
  }
}

const PAUSE_HINT =
  "Fix what the last failed jobs say (their error and hint), then resume the connection with Resume on its page or POST /api/connections/{id}/resume";

export interface PauseJudgementOptions {
  now: number;
  runId?: string | null;
  jobId?: string | null;
}

/**
 * Judges a connection's connection_paused rules after something that can change its level: a finished job,
 * a resume. Never throws (it runs after the change committed): a failure is logged, and the next finished
 * job or resume judges again from the ledger as it then stands.
 */
export async function judgeConnectionPause(env: Env, connectionId: string, options: PauseJudgementOptions): Promise<void> {
  try {
    const context = await readPauseJudgement(env.LEDGER, connectionId);
    if (context.rules.length === 0 && context.openIncidents.length === 0) return;
    const { connection } = context;
    const facts: PauseFacts = {
      pausedAt: connection?.paused_at ?? null,
      pausedReason: connection?.paused_reason ?? null,
      consecutiveFailures: connection?.consecutive_failures ?? 0,
      pauseAfter: context.pauseAfter,
    };
    // A deleted connection's incidents resolve: there is nothing left to resume.
    const level: AlertLevel = connection === null ? "ok" : pauseLevel(facts);
    const { now } = options;
    const items = context.rules.flatMap((rule) => {
      const item = planOutsideTransition({
        rule,
        subject: connectionId,
        open: context.openIncidents.find((incident) => incident.ruleId === rule.id) ?? null,
        level,
        channelKind: rule.channelKind,
        connection: connection === null ? null : { id: connection.id, name: connection.name, credential_name: connection.credential_name },
        summary: pauseSummary(facts),
        hint: level === "ok" ? null : PAUSE_HINT,
        runId: options.runId ?? null,
        jobId: options.jobId ?? null,
        now,
        publicUrl: publicUrl(env),
        newEventId: () => newId("evt", now),
      });
      return item === null ? [] : [item];
    });
    await enqueueAlertEvents(env, await commitAlertTransitions(env.LEDGER, items, now));
  } catch (err) {
    log.error("alerts: judging the auto-pause alert of a connection failed", { connection_id: connectionId, error: errorMessage(err) });
  }
}
