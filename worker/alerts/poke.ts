import type { Env } from "../env";
import type { AlertDispatcher } from "./alert-dispatcher";
import { errorMessage } from "../../shared/lang";

export function alertDispatcherStub(env: Pick<Env, "ALERT_DISPATCHER">): DurableObjectStub<AlertDispatcher> {
  return env.ALERT_DISPATCHER.get(env.ALERT_DISPATCHER.idFromName("global"));
}

/**
 * Call after committing a batch that wrote events (ideally through ctx.waitUntil). Failing to poke
 * loses nothing: the events wait in the outbox for the next poke or the minute cron.
 */
export async function pokeAlertDispatcher(env: Pick<Env, "ALERT_DISPATCHER">): Promise<void> {
  try {
    await alertDispatcherStub(env).poke();
  } catch (err) {
    console.warn(`alerts: could not poke the dispatcher; the minute cron will: ${errorMessage(err)}`);
  }
}
