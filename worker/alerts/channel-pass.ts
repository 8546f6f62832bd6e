import type { Env } from "../env";
import { recordAttempts, type AttemptRecord } from "../ledger/alerts-deliveries";
import { readChannelTurn, type InLineDelivery, type SenderChannel } from "../ledger/alerts-sends";
import type { RateGate } from "./rate-gate";
import type { ResolvedChannel } from "./render";
import { renderMessage } from "./render";
import { publicUrl, resolveChannel } from "./resolve-channel";
import { nextStep } from "./retry-schedule";
import { describeError, type AttemptResult } from "./send-http";
import { sendMessage } from "./send-message";

export interface ChannelPassOptions {
  env: Env;
  channelId: string;
  fetch: typeof fetch;
  gate: RateGate;
  now?: () => number;
  // Wall time one pass may use before it hands over to the next alarm.
  budgetMs?: number;
}

const DUE_PER_READ = 50;
// Runs whose deliveries go out side by side; within one run they go one after another. More lanes also put
// more attempts in each batch the recorder writes.
const LANES = 16;
// Deliveries one lane sends behind each other before the channel is read again (enabled, new secret).
const LANE_RUN = 20;
const DEFAULT_BUDGET_MS = 60_000;

/**
 * One round of a channel's sender: every delivery that is next in line for its (channel, run) and due is
 * attempted, and a success or a final failure lets the run's next delivery follow at once. Returns when
 * the next round should run (null: nothing waits; a new delivery or the minute sweep wakes the sender).
 */
export async function runChannelPass(options: ChannelPassOptions): Promise<number | null> {
  const { env, channelId } = options;
  const now = options.now ?? Date.now;
  const deadline = now() + (options.budgetMs ?? DEFAULT_BUDGET_MS);
  for (;;) {
    const turn = await readChannelTurn(env.LEDGER, channelId, now(), DUE_PER_READ);
    if (turn.channel === null) return null;
    if (turn.due.length === 0) return turn.nextDueAt;
    const sender = new ChannelSend(options, turn.channel, now, new AttemptRecorder(env.LEDGER));
    const queue = [...turn.due];
    await Promise.all(
      Array.from({ length: Math.min(LANES, queue.length) }, async () => {
        for (let next = queue.shift(); next !== undefined && !sender.stopped; next = queue.shift()) {
          let delivery: InLineDelivery | null = next;
          for (let sent = 0; delivery !== null && delivery.next_attempt_at <= now() && sent < LANE_RUN && !sender.stopped; sent++) {
            delivery = await sender.attempt(delivery);
          }
        }
      }),
    );
    if (now() >= deadline) return now();
  }
}

// One channel's sends within a round: the channel is resolved (secrets decrypted) once, and its failure
// streak is followed locally so the disable rule sees each attempt's effect.
class ChannelSend {
  stopped = false;
  private resolved: Promise<ResolvedChannel> | null = null;
  private failingSince: number | null;

  constructor(
    private readonly options: ChannelPassOptions,
    private readonly channel: SenderChannel,
    private readonly now: () => number,
    private readonly recorder: AttemptRecorder,
  ) {
    this.failingSince = channel.failing_since;
  }

  /** Attempts one delivery, records it, and returns the run's next delivery if it just became next in line. */
  async attempt(delivery: InLineDelivery): Promise<InLineDelivery | null> {
    const { env } = this.options;
    const now = this.now;
    const attemptedAt = now();
    let result: AttemptResult;
    try {
      this.resolved ??= resolveChannel(env, this.channel, attemptedAt);
      const message = await renderMessage(await this.resolved, {
        webhookId: delivery.webhook_id,
        payloadJson: delivery.payload_json,
        now: attemptedAt,
        publicUrl: publicUrl(env),
      });
      result = await sendMessage(env, message, { fetch: this.options.fetch, gate: this.options.gate, now });
    } catch (err) {
      // Not reaching the receiver at all (no key to decrypt, a URL no longer allowed) is a failed attempt too.
      result = { statusCode: null, durationMs: now() - attemptedAt, responseExcerpt: null, error: describeError(err), retryAfterMs: null };
    }
    const at = now();
    const step = nextStep({ outcome: result, cycleAttempts: delivery.cycle_attempts + 1, now: at, channelFailingSince: this.failingSince });
    const promoted = await this.recorder.record(
      {
        delivery,
        attemptedAt,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        responseExcerpt: result.responseExcerpt,
        error: result.error,
        step,
      },
      at,
    );
    this.failingSince = step.status === "succeeded" ? null : (this.failingSince ?? at);
    // A disabled channel sends nothing more; its waiting deliveries go out once it is enabled again.
    if (step.status === "failed" && step.disableReason !== null) this.stopped = true;
    return promoted;
  }
}

// The lanes' attempts finished while a record is on its way to D1 go together in the next batch: one round
// trip records several sends instead of one each. Each lane still waits for its own record before going on.
class AttemptRecorder {
  private waiting: Array<{ entry: { record: AttemptRecord; now: number }; settle: (result: PromiseSettledResult<InLineDelivery | null>) => void }> = [];
  private flushing = false;

  constructor(private readonly db: D1Database) {}

  async record(record: AttemptRecord, now: number): Promise<InLineDelivery | null> {
    const settled = await new Promise<PromiseSettledResult<InLineDelivery | null>>((settle) => {
      this.waiting.push({ entry: { record, now }, settle });
      if (!this.flushing) void this.flush();
    });
    if (settled.status === "rejected") throw settled.reason;
    return settled.value;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.waiting.length > 0) {
      const taken = this.waiting.splice(0);
      try {
        const promoted = await recordAttempts(
          this.db,
          taken.map((t) => t.entry),
        );
        taken.forEach((t, i) => t.settle({ status: "fulfilled", value: promoted[i] ?? null }));
      } catch (err) {
        for (const t of taken) t.settle({ status: "rejected", reason: err });
      }
    }
    this.flushing = false;
  }
}
