import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { outboundFetch } from "../outbound";
import { runDispatchPass } from "./dispatch-pass";
import { createRateGate, type RateGate } from "./rate-gate";
import { describeError } from "./send-http";

const RETRY_AFTER_ERROR_MS = 30_000;
const SLACK_MIN_INTERVAL_MS = 1_000;

/**
 * One instance ("global") turns the D1 outbox into deliveries and sends them. Its only state is its
 * alarm: everything else is in D1, so an eviction or a restart between attempts loses nothing, and the
 * minute cron pokes it in case an alarm was ever missed.
 */
export class AlertDispatcher extends DurableObject<Env> {
  private readonly gate: RateGate = createRateGate({ minIntervalMs: SLACK_MIN_INTERVAL_MS });

  /** Ask for a pass as soon as possible (after a status change, a redelivery or on the minute). */
  async poke(): Promise<void> {
    const scheduled = await this.ctx.storage.getAlarm();
    const now = Date.now();
    if (scheduled === null || scheduled > now) await this.ctx.storage.setAlarm(now);
  }

  override async alarm(): Promise<void> {
    let next: number | null;
    try {
      next = await runDispatchPass({ env: this.env, fetch: outboundFetch(this.env), gate: this.gate });
    } catch (err) {
      console.error(`alerts: dispatch pass failed, retrying in ${RETRY_AFTER_ERROR_MS / 1000} s: ${describeError(err)}`);
      next = Date.now() + RETRY_AFTER_ERROR_MS;
    }
    if (next === null) return;
    // A poke during the pass may already have asked for an earlier run; keep whichever comes first.
    const scheduled = await this.ctx.storage.getAlarm();
    if (scheduled === null || scheduled > next) await this.ctx.storage.setAlarm(next);
  }
}
