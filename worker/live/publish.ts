import type { Env } from "../env";
import { listCredentials } from "../ledger/credentials";
import { listActiveRunIds } from "../ledger/run-writes";
import type { RunDetail } from "../schemas/runs";
import type { LiveHub } from "./live-hub";
import type { LiveUpdate } from "./protocol";
import { log } from "../observability/log";

// The live feed is sharded: one LiveHub per credential carries its runs with every job's progress (at most
// one run per credential is active, so a hub sees one run's progress at a time), and one runs hub carries
// every run without its jobs (new runs and status changes, a few messages per run) for the lists.
export const LIVE_RUNS_HUB = "runs";

export function credentialHubName(credentialId: string): string {
  return `credential:${credentialId}`;
}

/** The hub of a credential's feed, or the runs hub for null. */
export function liveHub(env: Pick<Env, "LIVE_HUB">, credentialId: string | null = null): DurableObjectStub<LiveHub> {
  const name = credentialId === null ? LIVE_RUNS_HUB : credentialHubName(credentialId);
  return env.LIVE_HUB.get(env.LIVE_HUB.idFromName(name));
}

/**
 * Publishes to the credential's hub and, for a run message, its jobs left out, to the runs hub. Resolves
 * with how many sockets it reached; throws when a hub could not be reached (callers treat the feed as best effort).
 */
export async function publishLive(env: Pick<Env, "LIVE_HUB">, credentialId: string, message: LiveUpdate): Promise<number> {
  if (message.type === "job") return liveHub(env, credentialId).publish(message);
  const { jobs: _jobs, ...runOnly } = message;
  const [own, runs] = await Promise.all([liveHub(env, credentialId).publish(message), liveHub(env).publish(runOnly)]);
  return own + runs;
}

/**
 * Closes the sockets of a revoked token on every hub that may hold one: the runs hub, each credential's, and
 * those of credentials that have active runs (a feed may follow a credential deleted meanwhile).
 */
export async function disconnectTokenEverywhere(env: Pick<Env, "LIVE_HUB" | "LEDGER">, tokenId: string): Promise<number> {
  const credentials = new Set<string>();
  let afterName: string | null = null;
  for (;;) {
    const page = await listCredentials(env.LEDGER, { afterName, limit: 100 });
    for (const credential of page.data) credentials.add(credential.id);
    if (!page.hasMore) break;
    afterName = page.lastName;
  }
  for (const run of await listActiveRunIds(env.LEDGER, 1_000)) credentials.add(run.credential_id);
  const closed = await Promise.all([liveHub(env).disconnectToken(tokenId), ...[...credentials].map((id) => liveHub(env, id).disconnectToken(tokenId))]);
  return closed.reduce((sum, n) => sum + n, 0);
}

/**
 * Tells the feeds about a run no coordinator speaks for (one created pending, one canceled while pending).
 * Best effort: a hub that is down costs the dashboards this message, never the request that made the run.
 */
export async function announceRun(env: Pick<Env, "LIVE_HUB">, detail: RunDetail, now: number = Date.now()): Promise<void> {
  const { jobs, ...run } = detail;
  try {
    await publishLive(env, run.credential_id, { type: "run", run, jobs, seq: now });
  } catch (error) {
    log.warn("live: could not announce run", { run_id: run.id, error });
  }
}
