import type { Env } from "../env";
import type { LiveHub } from "./live-hub";
import type { LiveUpdate } from "./protocol";

export const LIVE_HUB_NAME = "live";

export function liveHub(env: Pick<Env, "LIVE_HUB">): DurableObjectStub<LiveHub> {
  return env.LIVE_HUB.get(env.LIVE_HUB.idFromName(LIVE_HUB_NAME));
}

/** For coordinators: the hub broadcasts at once, so throttle per job before calling. */
export async function publishLive(env: Pick<Env, "LIVE_HUB">, message: LiveUpdate): Promise<number> {
  return liveHub(env).publish(message);
}
