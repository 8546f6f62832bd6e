import {
  claimTicks,
  listActiveJobsByConnection,
  listScheduledConnections,
  recordTickOutcomes,
  type ScheduledConnection,
  type TickKey,
  type TickOutcome,
} from "../ledger/schedule-ticks";
import { dueTicks, planClaimedTicks } from "./due";
import { errorMessage } from "../../shared/lang";

export interface ScheduledRunRequest {
  credentialId: string;
  /** In execution order; each runs in its own dry-run setting. */
  connectionIds: string[];
  /** The latest tick the run answers. */
  dueAt: number;
}

export type StartScheduledRun = (request: ScheduledRunRequest) => Promise<{ runId: string }>;

export interface DueRunsReport {
  started: Array<{ runId: string; connectionIds: string[] }>;
  skipped: Array<TickKey & { reason: string }>;
}

/**
 * Starts a full run for every connection with a tick due at `scheduledTime` (or missed within the
 * catch-up window) that this call claimed first. Due connections of one credential share a run; a connection already pending or running is skipped, with the reason recorded on its tick.
 */
export async function startDueRuns(db: D1Database, scheduledTime: number, now: number, startRun: StartScheduledRun): Promise<DueRunsReport> {
  const connections = await listScheduledConnections(db);
  const byId = new Map(connections.map((connection) => [connection.id, connection]));
  const due: TickKey[] = [];
  for (const connection of connections) {
    // A tick from before the connection's last change belongs to a schedule that no longer exists.
    const ticks = dueTicks(connection.schedule, scheduledTime)?.filter((dueAt) => dueAt > connection.updatedAt) ?? [];
    for (const dueAt of ticks) due.push({ connectionId: connection.id, dueAt });
  }
  const claimed = await claimTicks(db, due, now);
  const report: DueRunsReport = { started: [], skipped: [] };
  if (claimed.length === 0) return report;

  const outcomes: Array<TickKey & TickOutcome> = [];
  const skip = (tick: TickKey, reason: string, runId: string | null = null) => {
    outcomes.push({ ...tick, outcome: "skipped", reason, runId });
    report.skipped.push({ ...tick, reason });
  };

  const active = await listActiveJobsByConnection(db);
  const groups = new Map<string, Array<{ connection: ScheduledConnection; tick: TickKey }>>();
  for (const [connectionId, plan] of planClaimedTicks(claimed)) {
    for (const older of plan.superseded) {
      skip(older, `missed; the ${iso(plan.latest.dueAt)} tick started instead (missed ticks are not stacked)`);
    }
    const busy = active.get(connectionId);
    if (busy !== undefined) {
      skip(plan.latest, `connection already ${busy.status} in run ${busy.runId}`, busy.runId);
      continue;
    }
    const connection = byId.get(connectionId);
    if (connection === undefined) continue;
    groups.set(connection.credentialId, [...(groups.get(connection.credentialId) ?? []), { connection, tick: plan.latest }]);
  }

  for (const members of groups.values()) {
    members.sort((a, b) => a.connection.position - b.connection.position || (a.connection.id < b.connection.id ? -1 : 1));
    const first = members[0]!.connection;
    const connectionIds = members.map((member) => member.connection.id);
    try {
      const { runId } = await startRun({
        credentialId: first.credentialId,
        connectionIds,
        dueAt: Math.max(...members.map((member) => member.tick.dueAt)),
      });
      for (const member of members) outcomes.push({ ...member.tick, outcome: "started", runId });
      report.started.push({ runId, connectionIds });
    } catch (err) {
      const message = errorMessage(err);
      console.error("scheduled run could not start", connectionIds, err);
      for (const member of members) skip(member.tick, `could not start: ${message}`);
    }
  }
  await recordTickOutcomes(db, outcomes, now);
  return report;
}

const iso = (ms: number) => new Date(ms).toISOString();
