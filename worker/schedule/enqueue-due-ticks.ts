import { listClaimedTicks, listScheduledConnectionsPage, tickKey, type ScheduledConnectionRef, type TickKey } from "../ledger/schedule-ticks";
import { dueTicks } from "./due";
import { sendBatches, tickMessages, type ScheduleTickMessage } from "./tick-messages";

// Connections read per page: two D1 reads and a few sendBatch calls each, whatever the fleet's size.
export const SCHEDULE_PAGE_SIZE = 1_000;

// The producer binding, or a test's stand-in.
export interface TickSender {
  sendBatch(messages: Iterable<MessageSendRequest<ScheduleTickMessage>>): Promise<unknown>;
}

export interface EnqueueReport {
  pages: number;
  connections: number;
  ticks: number;
  messages: number;
}

/**
 * Enqueues every tick due at `scheduledTime`, or missed within the catch-up window, that has no
 * schedule_ticks row yet. A cron that died halfway is caught up by the next one: what it did not enqueue is
 * still unrecorded. A tick enqueued twice is harmless, as the consumer records each tick once.
 */
export async function enqueueDueTicks(db: D1Database, queue: TickSender, scheduledTime: number, pageSize = SCHEDULE_PAGE_SIZE): Promise<EnqueueReport> {
  const report: EnqueueReport = { pages: 0, connections: 0, ticks: 0, messages: 0 };
  // Fleets share few distinct schedules: each is evaluated once per trigger.
  const ticksBySchedule = new Map<string, number[]>();
  const ticksOf = (schedule: string) => {
    let ticks = ticksBySchedule.get(schedule);
    if (ticks === undefined) {
      ticks = dueTicks(schedule, scheduledTime) ?? [];
      ticksBySchedule.set(schedule, ticks);
    }
    return ticks;
  };
  // The last credential of a full page may go on in the next one: its ticks wait, so it still gets one message.
  let carried: { credentialId: string; ticks: TickKey[] } | null = null;
  let after: ScheduledConnectionRef | null = null;
  for (;;) {
    const page = await listScheduledConnectionsPage(db, after, pageSize);
    report.pages += 1;
    report.connections += page.length;
    const due: Array<TickKey & { credentialId: string }> = [];
    for (const connection of page) {
      // A tick from before the connection's last change belongs to a schedule that no longer exists.
      for (const dueAt of ticksOf(connection.schedule)) {
        if (dueAt > connection.updatedAt) due.push({ connectionId: connection.id, dueAt, credentialId: connection.credentialId });
      }
    }
    const claimed = await listClaimedTicks(db, due);
    const groups = new Map<string, TickKey[]>();
    if (carried !== null) groups.set(carried.credentialId, carried.ticks);
    for (const tick of due) {
      if (claimed.has(tickKey(tick))) continue;
      const ticks = groups.get(tick.credentialId) ?? [];
      ticks.push({ connectionId: tick.connectionId, dueAt: tick.dueAt });
      groups.set(tick.credentialId, ticks);
    }
    const full = page.length === pageSize;
    const last = page.at(-1);
    carried = null;
    if (full && last !== undefined) {
      carried = { credentialId: last.credentialId, ticks: groups.get(last.credentialId) ?? [] };
      groups.delete(last.credentialId);
    }
    await send(
      queue,
      [...groups].flatMap(([credentialId, ticks]) => tickMessages(credentialId, ticks)),
      report,
    );
    if (!full || last === undefined) return report;
    after = last;
  }
}

async function send(queue: TickSender, messages: ScheduleTickMessage[], report: EnqueueReport): Promise<void> {
  if (messages.length === 0) return;
  await Promise.all(sendBatches(messages).map((batch) => queue.sendBatch(batch)));
  report.messages += messages.length;
  report.ticks += messages.reduce((sum, message) => sum + message.ticks.length, 0);
}
