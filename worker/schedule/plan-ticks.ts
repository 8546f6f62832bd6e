import { tickKey, type TickConnection, type TickContext, type TickKey, type TickRecord } from "../ledger/schedule-ticks";
import type { NewJob, NewRun } from "../ledger/run-writes";
import { newRunRows } from "../runs/run-service";
import { firesAt, planClaimedTicks } from "./due";

export interface TickPlan {
  /** Every tick of the batch not recorded yet, with its outcome. */
  ticks: TickRecord[];
  /** One new run per credential, over its due connections in execution order. */
  runs: Array<{ run: NewRun; jobs: NewJob[] }>;
}

const iso = (ms: number) => new Date(ms).toISOString();

// Why a tick taken from the queue no longer starts its connection, or null when it still does.
function goneReason(connection: TickConnection | undefined, dueAt: number): string | null {
  const when = "before its tick was taken from the queue";
  if (connection === undefined) return `connection deleted ${when}`;
  if (connection.enabled !== 1) return `connection disabled ${when}`;
  if (connection.schedule === null) return `schedule removed ${when}`;
  if (!firesAt(connection.schedule, dueAt)) return `schedule changed to "${connection.schedule}" ${when}`;
  if (connection.paused_at !== null) return `connection paused (${connection.paused_reason ?? "by the failure streak"}); resume it to run on schedule`;
  return null;
}

/**
 * Decides the ticks of a consumer batch as the ledger stands: per connection the latest tick starts (older
 * ones are recorded as missed), a connection gone or already pending or running is skipped with the reason,
 * and the due connections of one credential share one full scheduled run in their own dry-run settings.
 */
export function planTicks(ticks: readonly TickKey[], context: TickContext, now: number): TickPlan {
  const plan: TickPlan = { ticks: [], runs: [] };
  const skip = (tick: TickKey, reason: string, runId: string | null = null) => plan.ticks.push({ ...tick, outcome: "skipped", reason, runId });
  const open = new Map<string, TickKey>();
  for (const tick of ticks) if (!context.claimed.has(tickKey(tick))) open.set(tickKey(tick), tick);

  const groups = new Map<string, Array<{ connection: TickConnection; tick: TickKey }>>();
  for (const [connectionId, claimed] of planClaimedTicks([...open.values()])) {
    for (const older of claimed.superseded) {
      skip(older, `missed; the ${iso(claimed.latest.dueAt)} tick started instead (missed ticks are not stacked)`);
    }
    const connection = context.connections.get(connectionId);
    const gone = goneReason(connection, claimed.latest.dueAt);
    if (connection === undefined || gone !== null) {
      skip(claimed.latest, gone ?? "connection deleted");
      continue;
    }
    const busy = context.active.get(connectionId);
    if (busy !== undefined) {
      skip(claimed.latest, `connection already ${busy.status} in run ${busy.runId}`, busy.runId);
      continue;
    }
    const members = groups.get(connection.credential_id) ?? [];
    members.push({ connection, tick: claimed.latest });
    groups.set(connection.credential_id, members);
  }

  for (const [credentialId, members] of groups) {
    const name = context.credentialNames.get(credentialId);
    if (name === undefined) {
      for (const member of members) skip(member.tick, `credential ${credentialId} not found`);
      continue;
    }
    members.sort((a, b) => a.connection.position - b.connection.position || (a.connection.id < b.connection.id ? -1 : 1));
    const chosen = members.map((member) => member.connection);
    const rows = newRunRows(
      { credentialId, type: "full", connectionIds: chosen.map((c) => c.id), trigger: "schedule", requestedBy: "scheduler" },
      { id: credentialId, name },
      chosen,
      now,
    );
    plan.runs.push(rows);
    for (const member of members) plan.ticks.push({ ...member.tick, outcome: "started", runId: rows.run.id });
  }
  return plan;
}
