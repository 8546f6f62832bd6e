import type { StoredChannel } from "../alerts/resolve-channel";

// What one channel's sender reads: the channel, its deliveries that are next in line and due, and when the
// next one falls due. Every read goes through deliveries_in_line_due, so its cost follows the due work,
// not the channel's backlog.

export interface SenderChannel extends StoredChannel {
  failing_since: number | null;
}

export interface InLineDelivery {
  id: string;
  webhook_id: string;
  channel_id: string;
  run_id: string | null;
  payload_json: string;
  attempt_count: number;
  cycle_attempts: number;
  next_attempt_at: number;
}

export const IN_LINE_COLUMNS = "id, webhook_id, channel_id, run_id, payload_json, attempt_count, cycle_attempts, next_attempt_at";

export interface ChannelTurn {
  // null: deleted or disabled, so nothing is sent.
  channel: SenderChannel | null;
  due: InLineDelivery[];
  // The earliest next-in-line delivery due after `now`, or null.
  nextDueAt: number | null;
}

export async function readChannelTurn(db: D1Database, channelId: string, now: number, limit: number): Promise<ChannelTurn> {
  const [channel, due, next] = await db.batch([
    db
      .prepare(
        `SELECT id, kind, config_json, secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at, failing_since
           FROM alert_channels WHERE id = ?1 AND enabled = 1`,
      )
      .bind(channelId),
    db
      .prepare(
        `SELECT ${IN_LINE_COLUMNS} FROM deliveries
          WHERE channel_id = ?1 AND status = 'pending' AND next_in_line = 1 AND next_attempt_at <= ?2
          ORDER BY next_attempt_at, event_seq LIMIT ?3`,
      )
      .bind(channelId, now, limit),
    db
      .prepare(
        `SELECT MIN(next_attempt_at) AS at FROM deliveries
          WHERE channel_id = ?1 AND status = 'pending' AND next_in_line = 1 AND next_attempt_at > ?2`,
      )
      .bind(channelId, now),
  ]);
  return {
    channel: ((channel?.results ?? []) as SenderChannel[])[0] ?? null,
    due: (due?.results ?? []) as InLineDelivery[],
    nextDueAt: ((next?.results ?? []) as Array<{ at: number | null }>)[0]?.at ?? null,
  };
}

/** Enabled channels with a next-in-line delivery due by `now`: the senders the minute sweep wakes. */
export async function channelsWithDueDeliveries(db: D1Database, now: number, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT c.id FROM alert_channels c
        WHERE c.enabled = 1 AND EXISTS (
          SELECT 1 FROM deliveries d WHERE d.channel_id = c.id AND d.status = 'pending' AND d.next_in_line = 1 AND d.next_attempt_at <= ?1)
        ORDER BY c.id LIMIT ?2`,
    )
    .bind(now, limit)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}
