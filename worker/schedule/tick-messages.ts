import type { TickKey } from "../ledger/schedule-ticks";

/** One credential's due ticks: the consumer starts them as one run, as the credential's connections share a run. */
export interface ScheduleTickMessage {
  credentialId: string;
  ticks: TickKey[];
}

// About 70 bytes a tick: 200 ticks stay far inside a message's 128 KB. A credential with more due
// connections in one minute is split, and the second part queues behind the first as its own run.
export const MAX_TICKS_PER_MESSAGE = 200;

// sendBatch takes at most 100 messages and 256 KB in all, each message counting ~100 bytes of metadata.
const MAX_MESSAGES_PER_SEND = 100;
const MAX_BYTES_PER_SEND = 200_000;
const METADATA_BYTES = 100;

export function tickMessages(credentialId: string, ticks: readonly TickKey[]): ScheduleTickMessage[] {
  const messages: ScheduleTickMessage[] = [];
  for (let start = 0; start < ticks.length; start += MAX_TICKS_PER_MESSAGE) {
    messages.push({ credentialId, ticks: ticks.slice(start, start + MAX_TICKS_PER_MESSAGE) });
  }
  return messages;
}

/** The messages as sendBatch calls, each within the per-call limits. */
export function sendBatches(messages: readonly ScheduleTickMessage[]): Array<Array<MessageSendRequest<ScheduleTickMessage>>> {
  const batches: Array<Array<MessageSendRequest<ScheduleTickMessage>>> = [];
  let current: Array<MessageSendRequest<ScheduleTickMessage>> = [];
  let bytes = 0;
  for (const body of messages) {
    const size = JSON.stringify(body).length + METADATA_BYTES;
    if (current.length > 0 && (current.length === MAX_MESSAGES_PER_SEND || bytes + size > MAX_BYTES_PER_SEND)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ body, contentType: "json" });
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export function isTickMessage(body: unknown): body is ScheduleTickMessage {
  if (typeof body !== "object" || body === null) return false;
  const { credentialId, ticks } = body as Partial<ScheduleTickMessage>;
  return (
    typeof credentialId === "string" && Array.isArray(ticks) && ticks.every((tick) => typeof tick?.connectionId === "string" && typeof tick?.dueAt === "number")
  );
}
