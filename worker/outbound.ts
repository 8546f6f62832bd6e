import type { Env } from "./env";

// The one place that chooses how the worker reaches the network. Production gets the platform's fetch;
// only with SANDBOX=on is the sandbox's router loaded (on first use), which serves the demo destination's
// loopback URLs in-process. Durable Objects and routes all call this with their env.
export function outboundFetch(env: Env): typeof fetch {
  if (env.SANDBOX !== "on") return (input, init) => fetch(input, init);
  let routed: Promise<typeof fetch> | null = null;
  return async (input, init) => {
    routed ??= import("./sandbox/outbound-fetch").then(({ createOutboundFetch }) => createOutboundFetch(env));
    return (await routed)(input, init);
  };
}
