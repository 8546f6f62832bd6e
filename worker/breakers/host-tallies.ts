import type { ConnectionConfig } from "../engine/contracts";
import type { RequestAttempt } from "../engine/http-client";
import type { RequestPhase } from "../engine/errors";
import { emptyTally, tallyAttempt, type HostTally } from "./breaker-state";

// Which hosts a job writes to, and what one slice's requests to each did (for the destination breakers).

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
