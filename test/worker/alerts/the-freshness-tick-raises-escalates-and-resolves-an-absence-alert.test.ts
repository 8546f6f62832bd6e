import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { freshnessPass } from "../../../worker/alerts/freshness-pass";
import { openIncidentsOf } from "../../../worker/ledger/alert-transitions";
import type { EventPayload } from "../../../worker/alerts/payload";
import { changeConnection, makeConnection, makeCredential } from "../factories";
import { createChannel, createRule, makeReceiver, received, resetAlerts, settle } from "./support";

beforeEach(resetAlerts);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// A fake clock a day ahead on an hour boundary, so every alert is newer than the channels that hear it.
const BASE = Math.ceil(Date.now() / HOUR) * HOUR + 24 * HOUR;
const at = (minutes: number) => BASE + minutes * MINUTE;

async function hourlyConnection(name: string) {
  // Scheduled hourly at :00 from BASE + 3 min: the first success is due by BASE + 1 h 15 min (15 min grace).
  return makeConnection(await makeCredential(), { name, schedule: "0 * * * *", dry_run: false, updated_at: at(3) });
}

// As a completed live job records it (the API test counts real jobs); a job's own events would sit in the
// outbox until the fake clock's time, which the alert sweep never reaches.
async function succeed(connectionId: string, finishedAt: number): Promise<void> {
  await env.LEDGER.prepare("UPDATE connections SET last_status = 'completed', last_run_at = ?2, last_success_at = ?2 WHERE id = ?1")
    .bind(connectionId, finishedAt)
    .run();
}

// A webhook receiver that a freshness rule on these connections reports to.
async function watched(connectionIds: string[], rule: { notify_recovery?: boolean } = {}) {
  const receiver = await makeReceiver();
  const webhook = await createChannel({ kind: "webhook", url: receiver.url });
  await createRule({ channel_id: webhook.id, condition: "freshness", connection_ids: connectionIds, ...rule });
  return receiver;
}

const states = async () => (await openIncidentsOf(env.LEDGER, ["freshness"])).map((incident) => [incident.connectionId, incident.severity]);

describe("the freshness pass of the minute tick", () => {
  it("raises Delayed as a warning, escalates to Overdue as critical and resolves on the next success, one notification each", async () => {
    const connection = await hourlyConnection("Fleet → CRM");
    const receiver = await watched([connection.id]);

    const pass = async (minutes: number) => {
      const report = await freshnessPass(env, at(minutes));
      await settle();
      return report.events;
    };

    expect(await pass(75)).toBe(0);
    expect(await states()).toEqual([]);
    expect(await pass(76)).toBe(1);
    expect(await states()).toEqual([[connection.id, "warning"]]);
    // Still Delayed a minute later, and a pass repeated at the same minute: nothing new.
    expect(await pass(77)).toBe(0);
    expect(await pass(77)).toBe(0);
    expect(await pass(136)).toBe(1);
    expect(await states()).toEqual([[connection.id, "critical"]]);
    expect(await pass(150)).toBe(0);

    await succeed(connection.id, at(160));
    expect(await pass(161)).toBe(1);
    expect(await states()).toEqual([]);
    expect(await pass(162)).toBe(0);

    const sent = (await received(receiver.name)).map((request) => JSON.parse(request.body) as EventPayload);
    expect(sent.map((payload) => [payload.type, payload.connection_name, payload.alert?.condition, payload.alert?.state])).toEqual([
      ["alert.raised", "Fleet → CRM", "freshness", "warning"],
      ["alert.raised", "Fleet → CRM", "freshness", "critical"],
      ["alert.resolved", "Fleet → CRM", "freshness", "resolved"],
    ]);
    expect(sent[0]!.alert?.summary).toMatch(/^Delayed: no successful run yet; one was due by \d{4}-\d\d-\d\d \d\d:15 UTC \(from the schedule\)\.$/);
    expect(sent[1]!.alert?.summary).toMatch(/^Overdue: no successful run yet; two expected successes are missing/);
    expect(sent[2]!.alert?.summary).toMatch(/^On time again: successful run at .+; the next is due by .+ \(from the schedule\)\.$/);
    expect(sent[0]!.alert?.hint).toContain("Check that the scheduler is alive");
  }, 30_000);

  it("judges only the connections a rule covers, and resolves silently when a connection stops expecting successes", async () => {
    const covered = await hourlyConnection("Covered");
    await hourlyConnection("Not covered");
    const receiver = await watched([covered.id], { notify_recovery: false });

    await freshnessPass(env, at(200));
    await settle();
    expect(await states()).toEqual([[covered.id, "critical"]]);

    // Disabled: no success is expected any more, so the incident closes (without a recovery notice: not asked for).
    await changeConnection(covered.id, { enabled: false });
    await freshnessPass(env, at(201));
    await settle();
    expect(await states()).toEqual([]);
    expect(await received(receiver.name)).toHaveLength(1);
  }, 30_000);

  it("resolves when the connection is paused, with a recovery notice that says no success is expected", async () => {
    const connection = await hourlyConnection("Paused later");
    const receiver = await watched([connection.id], { notify_recovery: true });

    await freshnessPass(env, at(200));
    await settle();
    expect(await states()).toEqual([[connection.id, "critical"]]);

    // Paused after failing too often: the scheduler skips it, and its own connection_paused alert says why.
    await env.LEDGER.prepare("UPDATE connections SET paused_at = ?2, paused_reason = 'Failed 10 runs in a row' WHERE id = ?1")
      .bind(connection.id, at(201))
      .run();
    await freshnessPass(env, at(202));
    await settle();
    expect(await states()).toEqual([]);
    const sent = (await received(receiver.name)).map((request) => JSON.parse(request.body) as EventPayload);
    expect(sent.map((payload) => [payload.type, payload.alert?.state])).toEqual([
      ["alert.raised", "critical"],
      ["alert.resolved", "resolved"],
    ]);
    expect(sent[1]!.alert?.summary).toBe("No success is expected any more: the connection is disabled, paused, unscheduled or deleted.");

    // Still paused a day later: nothing opens again.
    await freshnessPass(env, at(24 * 60));
    await settle();
    expect(await states()).toEqual([]);
    expect(await received(receiver.name)).toHaveLength(2);
  }, 30_000);

  it("judges a large fleet a slice a minute, resuming where the last slice ended, and wraps around", async () => {
    const fleet = [];
    for (let i = 0; i < 5; i++) fleet.push(await hourlyConnection(`Fleet ${i}`));
    await watched(fleet.map((c) => c.id));
    const ids = new Set(fleet.map((c) => c.id));
    const opened = async () => (await openIncidentsOf(env.LEDGER, ["freshness"])).filter((incident) => ids.has(incident.connectionId)).length;

    // Every scheduled connection in this file's ledger is sliced, two a minute; the open ones are judged every minute.
    const scheduled = (await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM connections WHERE schedule IS NOT NULL AND enabled = 1").first<{ n: number }>())!.n;
    let minute = 300;
    const seen: number[] = [];
    do {
      await freshnessPass(env, at(minute++), { pageSize: 2, pagesPerTick: 1 });
      seen.push(await opened());
    } while (seen.at(-1)! < fleet.length && seen.length <= scheduled);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((count, i) => i === 0 || count >= seen[i - 1]!)).toBe(true);
    expect(seen.at(-1)).toBe(fleet.length);
    expect(seen.length).toBeLessThanOrEqual(Math.ceil(scheduled / 2) + 1);
    await settle();
  }, 30_000);
});
