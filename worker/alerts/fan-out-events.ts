import type { Env } from "../env";
import {
  commitFanOut,
  commitFanOuts,
  consecutiveFailures,
  loadEventContext,
  loadEventContexts,
  loadFanOutTargets,
  readUndispatchedEvents,
  recentFinishedJobs,
  type EventContext,
  type FanOutTargets,
} from "../ledger/alerts-outbox";
import { newId } from "../ledger/ids";
import { connectionNeedsHistory, MAX_HISTORY, type JobHistory } from "./job-conditions";
import { planFanOut, type FanOutPlan, type OutboxEvent } from "./fan-out";
import { publicUrl } from "./resolve-channel";
import { describeError } from "./send-http";
import { log } from "../observability/log";

const MAX_THRESHOLD = 100;
// How far back through earlier undispatched events one event may reach before it gives up for now (its
// message is retried, and the oldest events are swept first, so a long backlog drains from its start).
const MAX_EARLIER_DEPTH = 25;

export interface FanOutReport {
  // Events whose fan-out failed: their messages are retried.
  failed: Set<string>;
  // Channels that got new deliveries: their senders are woken.
  channels: Set<string>;
  // Alert events the fan-outs wrote: they go on the queue like any other.
  alertEvents: string[];
}

/**
 * Turns outbox events into deliveries (one per matching channel), alert incidents and alert events. Events
 * that share a run or a connection are fanned out one after another in outbox order, unrelated ones side
 * by side: in waves (the first event of every related group, then the second, ...), each wave read in one
 * D1 batch and committed in another, so a consumer batch costs a few round trips, not a few per event. An
 * event whose earlier events (same run or connection) are still undispatched and not ours fans those out
 * first, whoever enqueued them. Already dispatched events are skipped, so a redelivered message is a no-op.
 */
export async function fanOutEvents(env: Env, ids: readonly string[], now: () => number = Date.now): Promise<FanOutReport> {
  const report: FanOutReport = { failed: new Set(), channels: new Set(), alertEvents: [] };
  const events = await readUndispatchedEvents(env.LEDGER, ids);
  if (events.length === 0) return report;
  const context: FanOutContext = { env, targets: await loadFanOutTargets(env.LEDGER, now()), report, now };
  const groups = relatedGroups(events);
  for (let wave = 0; ; wave++) {
    const waveEvents = groups.flatMap((group) => (group.length > wave ? [group[wave]!] : []));
    if (waveEvents.length === 0) return report;
    try {
      await fanOutWave(context, waveEvents);
    } catch (err) {
      // Reading or committing the wave failed as a whole: each event alone, so one bad event holds back no other.
      log.warn("alerts: a wave of events failed together; fanning them out one by one", { events: waveEvents.length, error: describeError(err) });
      await Promise.all(waveEvents.map((event) => fanOutAlone(context, event)));
    }
  }
}

async function fanOutWave(context: FanOutContext, events: readonly OutboxEvent[]): Promise<void> {
  const loaded = await loadEventContexts(context.env.LEDGER, events);
  const ready: Array<{ event: OutboxEvent; plan: FanOutPlan }> = [];
  const behind: OutboxEvent[] = [];
  await Promise.all(
    events.map(async (event, i) => {
      const eventContext = loaded[i]!;
      // Earlier events of its run or connection that were not in this batch (or failed): the one-by-one path.
      if (eventContext.earlier.length > 0) return void behind.push(event);
      try {
        ready.push({ event, plan: await planEvent(context, event, eventContext) });
      } catch (err) {
        context.report.failed.add(event.id);
        log.error("alerts: planning an event failed", { event_id: event.id, error: describeError(err) });
      }
    }),
  );
  const at = context.now();
  const landed = await commitFanOuts(context.env.LEDGER, ready, at);
  ready.forEach(({ plan }, i) => {
    if (landed[i]) noteCommitted(context.report, plan);
  });
  await Promise.all(behind.map((event) => fanOutAlone(context, event)));
}

async function fanOutAlone(context: FanOutContext, event: OutboxEvent): Promise<void> {
  try {
    await fanOutInOrder(context, event, 0);
  } catch (err) {
    // One event that cannot be planned must not hold back unrelated ones; its message is retried.
    context.report.failed.add(event.id);
    log.error("alerts: fanning out an event failed", { event_id: event.id, error: describeError(err) });
  }
}

interface FanOutContext {
  env: Env;
  targets: FanOutTargets;
  report: FanOutReport;
  now: () => number;
}

async function fanOutInOrder(context: FanOutContext, event: OutboxEvent, depth: number): Promise<void> {
  for (;;) {
    const loaded = await loadEventContext(context.env.LEDGER, event);
    if (loaded.earlier.length === 0) return fanOut(context, event, loaded);
    if (depth >= MAX_EARLIER_DEPTH) throw new Error(`more than ${MAX_EARLIER_DEPTH} earlier events of its run or connection are still waiting`);
    for (const earlier of loaded.earlier) await fanOutInOrder(context, earlier, depth + 1);
  }
}

async function fanOut(context: FanOutContext, event: OutboxEvent, loaded: EventContext): Promise<void> {
  const plan = await planEvent(context, event, loaded);
  // Another consumer may have fanned the event out meanwhile; then its decision stands and it wakes the senders.
  if (await commitFanOut(context.env.LEDGER, event, plan, context.now())) noteCommitted(context.report, plan);
}

function noteCommitted(report: FanOutReport, plan: FanOutPlan): void {
  for (const { channelId } of plan.deliveries) report.channels.add(channelId);
  report.alertEvents.push(...plan.alertEvents.map((a) => a.id));
}

async function planEvent(context: FanOutContext, event: OutboxEvent, loaded: EventContext): Promise<FanOutPlan> {
  const { env, targets, now } = context;
  let failures = 0;
  const job = loaded.jobs.find((j) => j.id === event.jobId);
  if (event.type === "job.status_changed" && job !== undefined && job.status === "failed") {
    const watching = targets.rules.filter((r) => r.condition === "job_failed" && (r.connectionIds === null || r.connectionIds.includes(job.connection_id)));
    if (watching.length > 0) {
      const limit = Math.min(MAX_THRESHOLD, Math.max(...watching.map((r) => r.failureThreshold)));
      failures = await consecutiveFailures(env.LEDGER, job.connection_id, job, limit);
    }
  }
  let history: JobHistory[] = [];
  if (event.type === "job.status_changed" && job !== undefined && connectionNeedsHistory(targets.rules, loaded.openIncidents, job.connection_id)) {
    history = await recentFinishedJobs(env.LEDGER, job.connection_id, job, MAX_HISTORY);
  }
  const at = now();
  return planFanOut({
    event,
    run: loaded.run,
    jobs: loaded.jobs,
    channels: targets.channels,
    rules: targets.rules,
    routes: targets.routes,
    mutedConnections: targets.mutedConnections,
    consecutiveFailures: failures,
    history,
    openIncidents: loaded.openIncidents,
    publicUrl: publicUrl(env),
    now: at,
    newEventId: () => newId("evt", at),
  });
}

// Events linked through a shared run or connection, each group in outbox order.
function relatedGroups(events: readonly OutboxEvent[]): OutboxEvent[][] {
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(key, root);
    return root;
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  for (const event of events) {
    const own = `event:${event.id}`;
    parent.set(own, find(own));
    if (event.runId !== null) union(own, `run:${event.runId}`);
    if (event.connectionId !== null) union(own, `connection:${event.connectionId}`);
  }
  const groups = new Map<string, OutboxEvent[]>();
  for (const event of events) {
    const root = find(`event:${event.id}`);
    groups.set(root, [...(groups.get(root) ?? []), event]);
  }
  return [...groups.values()].map((group) => group.sort((a, b) => a.seq - b.seq));
}
