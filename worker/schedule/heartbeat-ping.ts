import { checkOutboundUrl, outboundUrlPolicy, type OutboundUrlPolicy } from "../auth/url-safety";
import type { Env } from "../env";
import { readHeartbeat, recordHeartbeatCall, type HeartbeatCall } from "../ledger/heartbeat-url";
import { outboundFetch } from "../outbound";
import { errorMessage } from "../../shared/lang";

// Short: the call only says "the scheduler ticked", and a slow monitor must not hold the tick's invocation open.
export const HEARTBEAT_TIMEOUT_MS = 5_000;

export interface HeartbeatPingOptions {
  fetch: typeof fetch;
  policy: OutboundUrlPolicy;
  timeoutMs?: number;
  now?: () => number;
}

/**
 * One GET to the outside monitor's URL, never throwing. The URL is checked against the outbound rules again
 * (they may be stricter than where it was saved); redirects are not followed and the body is not read.
 */
export async function pingHeartbeat(url: string, options: HeartbeatPingOptions): Promise<HeartbeatCall> {
  const now = options.now ?? Date.now;
  const at = now();
  const problem = checkOutboundUrl(url, options.policy);
  if (problem !== null) return { at, ok: false, status: null, error: `The heartbeat URL is not allowed: ${problem}` };
  const timeoutMs = options.timeoutMs ?? HEARTBEAT_TIMEOUT_MS;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const response = await options.fetch(url, { method: "GET", redirect: "manual", signal: controller.signal });
    // Only the status matters; the body is let go rather than drained.
    await response.body?.cancel();
    const status = response.status;
    if (status >= 200 && status < 300) return { at, ok: true, status, error: null };
    if (status >= 300 && status < 400) return { at, ok: false, status, error: "Redirect not followed; configure the final URL." };
    return { at, ok: false, status, error: `The monitor answered HTTP ${status}.` };
  } catch (err) {
    return { at, ok: false, status: null, error: timedOut ? `No response within ${timeoutMs} ms.` : `Network error: ${errorMessage(err)}` };
  } finally {
    clearTimeout(timer);
  }
}

/** The minute tick's heartbeat: calls the URL set under Settings, if any, and records the outcome. */
export async function heartbeatPass(env: Env, fetchImpl: typeof fetch = outboundFetch(env)): Promise<HeartbeatCall | null> {
  const { url } = await readHeartbeat(env.LEDGER);
  if (url === null) return null;
  const call = await pingHeartbeat(url, { fetch: fetchImpl, policy: outboundUrlPolicy(env) });
  await recordHeartbeatCall(env.LEDGER, call, Date.now());
  return call;
}
