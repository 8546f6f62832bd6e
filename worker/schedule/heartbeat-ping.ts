import { checkOutboundUrl, outboundUrlPolicy } from "../auth/url-safety";
import type { Env } from "../env";
import { readHeartbeat, recordHeartbeatCall } from "../ledger/heartbeat-url";
import { outboundFetch } from "../outbound";
import { callHeartbeat, type HeartbeatCall } from "./heartbeat-call";

/**
 * The minute tick's heartbeat: calls the URL set under Settings, if any, and records the outcome. The URL is
 * checked against the outbound rules again, which may be stricter than where it was saved.
 */
export async function heartbeatPass(env: Env, fetchImpl: typeof fetch = outboundFetch(env)): Promise<HeartbeatCall | null> {
  const { url } = await readHeartbeat(env.LEDGER);
  if (url === null) return null;
  const problem = checkOutboundUrl(url, outboundUrlPolicy(env));
  const call =
    problem === null
      ? await callHeartbeat(url, { fetch: fetchImpl })
      : { at: Date.now(), ok: false, status: null, error: `The heartbeat URL is not allowed: ${problem}` };
  await recordHeartbeatCall(env.LEDGER, call, Date.now());
  return call;
}
