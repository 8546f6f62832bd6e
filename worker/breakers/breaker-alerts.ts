import { enqueueAlertEvents } from "../alerts/alert-queue";
import { planOutsideTransition } from "../alerts/outside-transitions";
import { publicUrl } from "../alerts/resolve-channel";
import type { Env } from "../env";
import { commitAlertTransitions, openIncidentsOf } from "../ledger/alert-transitions";
import { loadFanOutTargets } from "../ledger/alerts-outbox";
import { newId } from "../ledger/ids";
import type { BreakerRecord } from "./breaker-state";

// A destination breaker's incident: one per host (subject `host:<host>`), raised when it opens and resolved when
// it closes, for every enabled destination_down rule; a probe that fails in between changes nothing. A rule's
// connection scope does not narrow it: the host is shared by every connection that writes to it.

export const BREAKER_HINT =
  "Check the destination's health or status page; runs to it resume by themselves after a successful probe, or press Resume now on the dashboard";

export function breakerSummary(record: BreakerRecord, change: "opened" | "closed"): string {
  if (change === "closed") return `${record.host} answers again; the runs paused on it resumed`;
  const next = record.next_probe_at === null ? "" : `; next probe at ${new Date(record.next_probe_at).toISOString()}`;
  return `${record.host} keeps failing${record.last_error ? ` (${record.last_error})` : ""}: runs to it are paused${next}`;
}

export async function commitBreakerAlert(
  env: Pick<Env, "LEDGER" | "ALERT_QUEUE" | "PUBLIC_URL">,
  record: BreakerRecord,
  change: "opened" | "closed",
  now: number,
): Promise<void> {
  const targets = await loadFanOutTargets(env.LEDGER, now);
  const rules = targets.rules.filter((rule) => rule.condition === "destination_down");
  if (rules.length === 0) return;
  const subject = `host:${record.host}`;
  const open = (await openIncidentsOf(env.LEDGER, ["destination_down"])).filter((incident) => incident.connectionId === subject);
  const items = rules.flatMap((rule) => {
    const item = planOutsideTransition({
      rule,
      subject,
      open: open.find((incident) => incident.ruleId === rule.id) ?? null,
      level: change === "opened" ? rule.severity : "ok",
      channelKind: targets.channels.find((channel) => channel.id === rule.channelId)?.channel.kind,
      connection: null,
      summary: breakerSummary(record, change),
      hint: BREAKER_HINT,
      now,
      publicUrl: publicUrl(env),
      newEventId: () => newId("evt", now),
    });
    return item === null ? [] : [item];
  });
  await enqueueAlertEvents(env, await commitAlertTransitions(env.LEDGER, items, now));
}
