import { checkOutboundUrl, outboundUrlPolicy } from "../auth/url-safety";
import type { Env } from "../env";
import { openHeartbeatUrl, readHeartbeat, recordHeartbeatCall, resealHeartbeatUrl, sealHeartbeatUrl } from "../ledger/heartbeat-url";
import { errorMessage } from "../../shared/lang";
import { outboundFetch } from "../outbound";
import { callHeartbeat, type HeartbeatCall } from "./heartbeat-call";

/**
 * The minute tick's heartbeat: calls the URL set under Settings, if any, and records the outcome. The URL is
 * checked against the outbound rules again, which may be stricter than where it was saved.
 */
export async function heartbeatPass(env: Env, fetchImpl: typeof fetch = outboundFetch(env)): Promise<HeartbeatCall | null> {
  const stored = (await readHeartbeat(env.LEDGER)).url;
  if (stored === null) return null;
  let url: string;
  try {
    url = await openHeartbeatUrl(env, stored);
  } catch (err) {
    const call = { at: Date.now(), ok: false, status: null, error: `The heartbeat URL cannot be decrypted (${errorMessage(err)}); enter it again.` };
    await recordHeartbeatCall(env.LEDGER, call, Date.now());
    return call;
  }
  // Saved before URLs were sealed: sealed now, so the plain URL leaves the ledger.
  if (typeof stored === "string") await resealHeartbeatUrl(env.LEDGER, stored, await sealHeartbeatUrl(env, stored), Date.now());
  const problem = checkOutboundUrl(url, outboundUrlPolicy(env));
  const call =
    problem === null
      ? await callHeartbeat(url, { fetch: fetchImpl })
      : { at: Date.now(), ok: false, status: null, error: `The heartbeat URL is not allowed: ${problem}` };
  await recordHeartbeatCall(env.LEDGER, call, Date.now());
  return call;
}
