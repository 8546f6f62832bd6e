import type { Env } from "../env";
import { commitAlertTransitions, openIncidentsOf, type AlertTransitionItem } from "../ledger/alert-transitions";
import { loadFanOutTargets } from "../ledger/alerts-outbox";
import { freshnessRowsOf, readFreshnessCursor, scheduledFreshnessPage, writeFreshnessCursor, type FreshnessRow } from "../ledger/freshness-pass";
import { newId } from "../ledger/ids";
import { freshnessOf, type FreshnessState } from "../schedule/freshness";
import { enqueueAlertEvents } from "./alert-queue";
import type { FanOutChannel, FanOutRule, OpenIncident } from "./fan-out";
import { FRESHNESS_HINT, freshnessSummary } from "./freshness-text";
import type { AlertLevel } from "./incident-state";
import { planOutsideTransition } from "./outside-transitions";
import { publicUrl } from "./resolve-channel";

// A slice of the scheduled connections a minute (PAGES_PER_TICK × PAGE_SIZE), resuming where the last one
// ended: a fleet of up to 1,000 is judged every minute, a larger one every few minutes. Connections with an
// open incident are judged every minute, so escalation and recovery never wait for the slice.
const PAGE_SIZE = 250;
const PAGES_PER_TICK = 4;

export const FRESHNESS_LEVEL: Record<FreshnessState, AlertLevel> = { on_time: "ok", delayed: "warning", overdue: "critical" };

export interface FreshnessPassReport {
  judged: number;
  transitions: number;
  events: number;
}

export interface FreshnessPassOptions {
  pageSize?: number;
  pagesPerTick?: number;
}

export async function freshnessPass(env: Env, now: number, options: FreshnessPassOptions = {}): Promise<FreshnessPassReport> {
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const pagesPerTick = options.pagesPerTick ?? PAGES_PER_TICK;
  const db = env.LEDGER;
  const { channels, rules } = await loadFanOutTargets(db, now);
  const freshnessRules = rules.filter((rule) => rule.condition === "freshness");
  const open = await openIncidentsOf(db, ["freshness"]);
  if (freshnessRules.length === 0 && open.length === 0) return { judged: 0, transitions: 0, events: 0 };

  let cursor = await readFreshnessCursor(db);
  const rows: FreshnessRow[] = [];
  for (let page = 0; page < pagesPerTick && (page === 0 || cursor !== null); page++) {
    const slice = await scheduledFreshnessPage(db, cursor, pageSize);
    rows.push(...slice);
    cursor = slice.length < pageSize ? null : slice[slice.length - 1]!.id;
  }
  const sliced = new Set(rows.map((row) => row.id));
  const openSubjects = [...new Set(open.map((incident) => incident.connectionId))].filter((id) => !sliced.has(id));
  rows.push(...(await freshnessRowsOf(db, openSubjects)));

  const items = planFreshnessTransitions({
    rules: freshnessRules,
    channels,
    open,
    rows,
    now,
    publicUrl: publicUrl(env),
    newEventId: () => newId("evt", now),
  });
  const eventIds = await commitAlertTransitions(db, items, now);
  await enqueueAlertEvents(env, eventIds);
  await writeFreshnessCursor(db, cursor, now);
  return { judged: rows.length, transitions: items.length, events: eventIds.length };
}

export interface FreshnessPlanInput {
  // Enabled freshness rules of enabled channels.
  rules: readonly FanOutRule[];
  channels: readonly FanOutChannel[];
  // Open freshness incidents; each one's connection is among `rows` unless it was deleted.
  open: readonly OpenIncident[];
  rows: readonly FreshnessRow[];
  now: number;
  publicUrl: string;
  newEventId: () => string;
}

/**
 * Per connection and freshness rule covering it: Delayed is a warning, Overdue critical, On time resolves.
 * A connection that expects no success any more (disabled, paused, unscheduled, deleted) resolves its incident too:
 * a paused one has its own alert (connection_paused), which says why.
 */
export function planFreshnessTransitions(input: FreshnessPlanInput): AlertTransitionItem[] {
  const { rules, now } = input;
  const openOf = new Map(input.open.map((incident) => [`${incident.ruleId}\n${incident.connectionId}`, incident]));
  const channelKinds = new Map(input.channels.map((c) => [c.id, c.channel.kind]));
  const items: AlertTransitionItem[] = [];
  const judge = (rule: FanOutRule, subject: string, row: FreshnessRow | null): void => {
    const freshness =
      row === null
        ? null
        : freshnessOf(
            {
              schedule: row.schedule,
              enabled: row.enabled === 1,
              paused: row.freshness_paused_at !== null,
              slaMinutes: row.freshness_sla_minutes,
              lastSuccessAt: row.freshness_success_at,
              since: row.freshness_since,
            },
            now,
          );
    const item = planOutsideTransition({
      rule,
      subject,
      open: openOf.get(`${rule.id}\n${subject}`) ?? null,
      level: freshness === null ? "ok" : FRESHNESS_LEVEL[freshness.state],
      channelKind: channelKinds.get(rule.channelId),
      connection: row === null ? null : { id: row.id, name: row.name, credential_name: row.credential_name },
      summary: freshnessSummary(freshness, now),
      hint: FRESHNESS_HINT,
      now,
      publicUrl: input.publicUrl,
      newEventId: input.newEventId,
    });
    if (item !== null) items.push(item);
  };
  for (const row of input.rows) {
    for (const rule of rules) {
      if (rule.connectionIds === null || rule.connectionIds.includes(row.id)) judge(rule, row.id, row);
    }
  }
  // An incident whose connection was deleted closes with it.
  const present = new Set(input.rows.map((row) => row.id));
  for (const incident of input.open) {
    const rule = rules.find((r) => r.id === incident.ruleId);
    if (rule !== undefined && !present.has(incident.connectionId)) judge(rule, incident.connectionId, null);
  }
  return items;
}
