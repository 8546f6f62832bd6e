import type { ConnectionConfig } from "../engine/contracts";
import type { RequestAttempt } from "../engine/http-client";
import type { RequestPhase } from "../engine/errors";
import type { Env } from "../env";
import { emptyTally, tallyAttempt, type HostTally } from "./breaker-state";
import { log } from "../observability/log";

// The coordinator's side of the destination breakers: which hosts a job writes to, what one slice's requests
// to each did, and the two calls per slice to each host's DestinationBreaker (may this slice send; what it
// saw). A breaker that cannot be reached never holds a run back: the run goes on as if it were closed.

// Requests to the destination; the source and the credential's token endpoint are other hosts' business.
const DESTINATION_PHASES: ReadonlySet<RequestPhase> = new Set(["lookup", "listing", "update", "readback"]);

// The host of an absolute URL or URL template (placeholders never sit in the host: the contracts refuse that).
export function hostOf(url: string): string | null {
  try {
    return new URL(url.replace(/\{[^}]*\}/g, "x")).host.toLowerCase() || null;
  } catch {
    return null;
  }
}

// Every attempt of a run is tallied by host: the URL's scheme and authority are parsed once, not per request, and
// the last one is checked first (a job's requests go to one or two hosts).
const AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;
interface HostCache {
  readonly byPrefix: Map<string, string | null>;
  last: { prefix: string; host: string | null } | null;
}
function cachedHostOf(cache: HostCache, url: string): string | null {
  const last = cache.last;
  if (last !== null && url.startsWith(last.prefix)) {
    const after = url.charCodeAt(last.prefix.length);
    // The authority ends there: "/", "?", "#" or the end of the URL.
    if (Number.isNaN(after) || after === 47 || after === 63 || after === 35) return last.host;
  }
  const prefix = AUTHORITY.exec(url)?.[0];
  if (prefix === undefined) return hostOf(url);
  let host = cache.byPrefix.get(prefix);
  if (host === undefined) cache.byPrefix.set(prefix, (host = hostOf(prefix)));
  cache.last = { prefix, host };
  return host;
}

export function destinationHosts(config: ConnectionConfig): string[] {
  const urls = [config.fetch.mode === "list" ? config.fetch.url : config.fetch.url_template, config.update.url_template];
  const hosts = urls.map(hostOf).filter((host): host is string => host !== null);
  return [...new Set(hosts)].sort();
}

export class HostTallies {
  private readonly byHost = new Map<string, HostTally>();
  private readonly hosts: HostCache = { byPrefix: new Map(), last: null };

  observe(attempt: RequestAttempt): void {
    if (attempt.phase === null || !DESTINATION_PHASES.has(attempt.phase)) return;
    const host = cachedHostOf(this.hosts, attempt.url);
    if (host === null) return;
    let tally = this.byHost.get(host);
    if (tally === undefined) this.byHost.set(host, (tally = emptyTally()));
    tallyAttempt(tally, attempt.status, attempt.error);
  }

  entries(): Array<[string, HostTally]> {
    return [...this.byHost].filter(([, tally]) => tally.requests > 0);
  }
}

export type GateVerdict = { kind: "go"; probe: boolean } | { kind: "wait"; host: string; until: number };

export function breakerStub(env: Pick<Env, "DESTINATION_BREAKER">, host: string) {
  return env.DESTINATION_BREAKER.get(env.DESTINATION_BREAKER.idFromName(host));
}

// One call per host; the first host that holds the run back decides. A probe of any host makes the slice a probe.
export async function admitSlice(env: Pick<Env, "DESTINATION_BREAKER">, hosts: readonly string[], runId: string): Promise<GateVerdict> {
  let probe = false;
  for (const host of hosts) {
    try {
      const admission = await breakerStub(env, host).admit(host, runId);
      if (admission.kind === "wait") return { kind: "wait", host, until: admission.until };
      probe ||= admission.probe;
    } catch (error) {
      log.error("destination breaker unreachable; the run goes on", { host, run_id: runId, error });
    }
  }
  return { kind: "go", probe };
}

export async function reportSlice(env: Pick<Env, "DESTINATION_BREAKER">, tallies: HostTallies, runId: string): Promise<void> {
  await Promise.all(
    tallies.entries().map(async ([host, tally]) => {
      try {
        await breakerStub(env, host).report(host, runId, tally);
      } catch (error) {
        log.error("destination breaker unreachable; this slice's requests are not counted", { host, run_id: runId, error });
      }
    }),
  );
}
