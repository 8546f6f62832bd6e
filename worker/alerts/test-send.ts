import type { Env } from "../env";
import type { ChannelTestOutcome } from "../ledger/alerts-channel-tests";
import { newId } from "../ledger/ids";
import { outboundFetch } from "../outbound";
import type { EventPayload } from "./payload";
import { renderMessage } from "./render";
import { ChannelUnusableError, publicUrl, resolveChannel, type StoredChannel } from "./resolve-channel";
import { verdictFor } from "./retry-schedule";
import type { AttemptResult } from "./send-http";
import { sendMessage } from "./send-message";
import { TEST_EVENT_TYPE, type ChannelTestTrigger } from "./vocabulary";

export interface TestSendResult {
  ok: boolean;
  attempts: Array<AttemptResult & { attemptedAt: number }>;
}

// Sent at once, outside the outbox: the operator waits for the answer. PagerDuty gets a trigger and
// then the matching resolve, so the test leaves no open incident behind.
export async function sendTestMessage(
  env: Env,
  channel: StoredChannel & { name: string },
  now: number,
  fetchImpl: typeof fetch = outboundFetch(env),
): Promise<TestSendResult> {
  const resolved = await resolveChannel(env, channel, now);
  const base = testPayload(channel, now, publicUrl(env));
  const payloads = resolved.kind === "pagerduty" ? [base, { ...base, type: "alert.resolved" as const, status: "completed" }] : [base];
  const attempts: TestSendResult["attempts"] = [];
  for (const payload of payloads) {
    const attemptedAt = Date.now();
    const message = await renderMessage(resolved, {
      webhookId: newId("msg", attemptedAt),
      payloadJson: JSON.stringify(payload),
      now: attemptedAt,
      publicUrl: publicUrl(env),
    });
    const result = await sendMessage(env, message, { fetch: fetchImpl });
    attempts.push({ ...result, attemptedAt });
    if (verdictFor(result) !== "succeeded") break;
  }
  return { ok: attempts.every((a) => verdictFor(a) === "succeeded"), attempts };
}

// A configuration the dispatcher could not use either (a refused URL, a secret that cannot be opened) is a
// failed test that says why, for the operator and for the scheduled test alike.
export async function testChannel(
  env: Env,
  channel: StoredChannel & { name: string },
  now: number,
  fetchImpl: typeof fetch = outboundFetch(env),
): Promise<TestSendResult> {
  try {
    return await sendTestMessage(env, channel, now, fetchImpl);
  } catch (err) {
    if (!(err instanceof ChannelUnusableError)) throw err;
    return {
      ok: false,
      attempts: [{ attemptedAt: Date.now(), statusCode: null, durationMs: 0, responseExcerpt: null, error: err.message, retryAfterMs: null }],
    };
  }
}

// What the channel keeps of a test: its last attempt (PagerDuty's resolve when the trigger got through).
export function testOutcome(channelId: string, result: TestSendResult, trigger: ChannelTestTrigger): ChannelTestOutcome {
  const last = result.attempts.at(-1);
  return {
    channelId,
    at: last?.attemptedAt ?? Date.now(),
    ok: result.ok,
    statusCode: last?.statusCode ?? null,
    error: result.ok ? null : (last?.error ?? (last?.statusCode == null ? "No response." : `The receiver answered HTTP ${last.statusCode}.`)),
    trigger,
  };
}

export function testPayload(channel: { id: string; name: string }, now: number, baseUrl: string): EventPayload {
  const at = new Date(now).toISOString();
  return {
    type: TEST_EVENT_TYPE,
    event_id: newId("evt", now),
    occurred_at: at,
    run_id: null,
    job_id: null,
    connection_id: null,
    connection_name: "Test connection",
    credential_name: null,
    status: "failed",
    previous_status: "running",
    run_type: null,
    mode: null,
    trigger: null,
    started_at: at,
    finished_at: at,
    failed_at: at,
    duration_ms: 0,
    error_summary: `Test alert for the channel "${channel.name}"; nothing actually failed.`,
    error: null,
    job_url: `${baseUrl.replace(/\/+$/, "")}/alerts`,
    run_url: null,
    counters: null,
    alert: { rule_id: "test", channel_id: channel.id, dedup_key: `outbound-sync/test/${channel.id}`, failure_threshold: 1, consecutive_failures: 1 },
  };
}
