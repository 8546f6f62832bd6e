import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { outboundFetch } from "../outbound";
import { runChannelPass } from "./channel-pass";
import { createRateGate, type RateGate } from "./rate-gate";
import { describeError } from "./send-http";
import { log } from "../observability/log";

const RETRY_AFTER_ERROR_MS = 30_000;
const SLACK_MIN_INTERVAL_MS = 1_000;
const CHANNEL_KEY = "channel_id";

/**
 * One instance per alert channel (idFromName(channel id)) sends that channel's deliveries: in order per run,
 * spaced by the rate gate, retried by its alarm on the schedule. Its state is the channel id and the alarm;
 * the deliveries are in D1, so an eviction or a restart between attempts loses nothing. A dead endpoint's
 * backlog and timeouts occupy only its own instance.
 */
export class AlertChannelSender extends DurableObject<Env> {
  private readonly gate: RateGate = createRateGate({ minIntervalMs: SLACK_MIN_INTERVAL_MS });
  private channelId: string | null = null;

  /** Ask for a round as soon as possible (new deliveries, a redelivery, the channel enabled, the minute sweep). */
  async wake(channelId: string): Promise<void> {
    // The alarm has no arguments: the instance keeps the name it was woken for.
    if (this.channelId !== channelId) {
      await this.ctx.storage.put(CHANNEL_KEY, channelId);
      this.channelId = channelId;
    }
    const scheduled = await this.ctx.storage.getAlarm();
    const now = Date.now();
    if (scheduled === null || scheduled > now) await this.ctx.storage.setAlarm(now);
  }

  override async alarm(): Promise<void> {
    this.channelId ??= (await this.ctx.storage.get<string>(CHANNEL_KEY)) ?? null;
    if (this.channelId === null) return;
    let next: number | null;
    try {
      next = await runChannelPass({ env: this.env, channelId: this.channelId, fetch: outboundFetch(this.env), gate: this.gate });
    } catch (err) {
      log.error(`alerts: a channel round failed, retrying in ${RETRY_AFTER_ERROR_MS / 1000} s`, { channel_id: this.channelId, error: describeError(err) });
      next = Date.now() + RETRY_AFTER_ERROR_MS;
    }
    if (next === null) return;
    // A wake during the round may already have asked for an earlier one; keep whichever comes first.
    const scheduled = await this.ctx.storage.getAlarm();
    if (scheduled === null || scheduled > next) await this.ctx.storage.setAlarm(next);
  }
}

export function alertSenderStub(env: Pick<Env, "ALERT_SENDER">, channelId: string): DurableObjectStub<AlertChannelSender> {
  return env.ALERT_SENDER.get(env.ALERT_SENDER.idFromName(channelId));
}
