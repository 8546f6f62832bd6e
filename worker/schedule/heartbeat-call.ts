import { errorMessage } from "../../shared/lang";

// Short: the call only says "the scheduler ticked", and a slow monitor must not hold the tick's invocation open.
export const HEARTBEAT_TIMEOUT_MS = 5_000;

// What one call to the heartbeat URL got back, as the settings keep it.
export interface HeartbeatCall {
  at: number;
  ok: boolean;
  status: number | null;
  error: string | null;
}

export interface HeartbeatCallOptions {
  fetch: typeof fetch;
  timeoutMs?: number;
  now?: () => number;
}

/** One GET to the outside monitor's URL, never throwing; redirects are not followed and the body is not read. */
export async function callHeartbeat(url: string, options: HeartbeatCallOptions): Promise<HeartbeatCall> {
  const at = (options.now ?? Date.now)();
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
