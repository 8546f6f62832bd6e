import type { ConnectionConfig } from "../engine/contracts";
import { EngineError } from "../engine/errors";
import { prefixFixesOrigin } from "../engine/templates";
import type { Env } from "../env";

export interface OutboundUrlPolicy {
  production: boolean;
  /** The sandbox destination is mounted, so its loopback URLs are served in-process, never fetched. */
  sandbox: boolean;
}

export function isProduction(env: Pick<Env, "ENVIRONMENT">): boolean {
  return env.ENVIRONMENT?.trim().toLowerCase() !== "development";
}

export function outboundUrlPolicy(env: Pick<Env, "ENVIRONMENT" | "SANDBOX">): OutboundUrlPolicy {
  return { production: isProduction(env), sandbox: env.SANDBOX === "on" };
}

/** Every URL a connection will call, with the field that holds it. */
export function contractUrls(config: ConnectionConfig): Array<[field: string, url: string]> {
  const urls: Array<[string, string]> = [];
  if (config.source.kind === "http") urls.push(["config.source.url", config.source.url]);
  if (config.fetch.mode === "per_serial") urls.push(["config.fetch.url_template", config.fetch.url_template]);
  else urls.push(["config.fetch.url", config.fetch.url]);
  urls.push(["config.update.url_template", config.update.url_template]);
  return urls;
}

/**
 * For a run or a lookup about to start: the first URL the deployment's rules refuse, as the error that ends it.
 * Saved URLs were checked under the rules where they were saved; these may be stricter.
 */
export function unsafeUrlError(urls: Array<[what: string, url: string]>, policy: OutboundUrlPolicy): EngineError | null {
  for (const [what, url] of urls) {
    const problem = checkOutboundUrl(url, policy);
    if (problem !== null) return new EngineError({ code: "unsafe_url", message: `The ${what} may not be called: ${problem}` });
  }
  return null;
}

// Suffixes that only resolve inside a private network (RFC 6762, 6761, 8375 and common practice).
const INTERNAL_SUFFIXES = [".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".corp", ".localdomain"];
const PLACEHOLDER = /\{[^{}]*\}/g;

/**
 * Null when `url` may be called, else the problem in a sentence. Templates may hold `{placeholders}`,
 * but only after the host: a placeholder in the host would let record data choose where requests go.
 */
export function checkOutboundUrl(url: string, policy: OutboundUrlPolicy): string | null {
  const placeholderAt = url.trim().indexOf("{");
  if (placeholderAt >= 0 && !prefixFixesOrigin(url.trim().slice(0, placeholderAt))) {
    return "Placeholders such as {serial} may appear only in the path and query, not in the host: start with https://host/.";
  }
  // A URL parser reads "\\" as "/": the host a person reads would not be the one called.
  if (url.includes("\\")) return 'The URL contains a backslash; use "/".';

  let parsed: URL;
  try {
    parsed = new URL(url.trim().replace(PLACEHOLDER, "x"));
  } catch {
    return "Not a valid absolute URL (expected https://host/path).";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return `The URL scheme must be https (got ${parsed.protocol.replace(/:$/, "")}).`;
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return "The URL must not contain a user name or password; keep them in the credential.";
  }
  if (policy.sandbox && isSandboxUrl(parsed)) return null;

  const host = parsed.hostname.toLowerCase().replace(/\.$/, "");
  const address = classifyAddress(host);
  if (!policy.production) {
    const loopback = host === "localhost" || host.endsWith(".localhost") || address === "loopback";
    if (parsed.protocol === "http:" && !loopback) return "Use https; plain http is allowed only for loopback hosts in development.";
    return null;
  }
  if (parsed.protocol === "http:") return "Use https; plain http is not allowed in production.";
  if (address !== null) {
    return address === "public"
      ? `The host ${host} is an IP address; use the destination's host name.`
      : `The host ${host} is a ${address} address, which is not allowed in production.`;
  }
  if (!host.includes(".") || INTERNAL_SUFFIXES.some((suffix) => host === suffix.slice(1) || host.endsWith(suffix))) {
    return `The host ${host} is an internal name, which is not allowed in production.`;
  }
  return null;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The sandbox destination's loopback URLs, which the sandbox serves in-process when it is mounted. */
export function isSandboxUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) && url.pathname.startsWith("/sandbox/");
}

type AddressKind = "public" | "loopback" | "private" | "link-local" | "reserved";

// The URL parser has already turned forms like 2130706433 or 0x7f.1 into dotted quads and compressed IPv6.
function classifyAddress(host: string): AddressKind | null {
  if (host.startsWith("[")) return classifyIpv6(host.slice(1, -1));
  const quad = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!quad) return null;
  return classifyIpv4(quad.slice(1).map(Number) as [number, number, number, number]);
}

function classifyIpv4([a, b]: [number, number, number, number]): AddressKind {
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return "private";
  if (a === 169 && b === 254) return "link-local";
  if (a === 0 || a >= 224 || (a === 192 && b === 0) || (a === 198 && (b === 18 || b === 19))) return "reserved";
  return "public";
}

function classifyIpv6(address: string): AddressKind {
  if (address === "::1") return "loopback";
  if (address === "::") return "reserved";
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped) {
    const high = parseInt(mapped[1] ?? "0", 16);
    const low = parseInt(mapped[2] ?? "0", 16);
    return classifyIpv4([high >> 8, high & 255, low >> 8, low & 255]);
  }
  const first = parseInt(address.split(":")[0] || "0", 16);
  if ((first & 0xfe00) === 0xfc00) return "private";
  if ((first & 0xffc0) === 0xfe80) return "link-local";
  if ((first & 0xff00) === 0xff00) return "reserved";
  return "public";
}
