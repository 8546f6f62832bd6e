import { isSandboxUrl } from "../auth/url-safety";
import type { Env } from "../env";
import { sandboxFleetStub } from "./mount";

// A worker cannot reliably fetch its own dev server, so loopback /sandbox/ URLs go straight to the
// fleet Durable Object; everything else is an ordinary outbound fetch. Only worker/outbound.ts loads this,
// and only when SANDBOX is on.
export function createOutboundFetch(env: Env, network: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    // Read the URL without building a Request: that would consume the body of a Request passed in.
    const url = new URL(input instanceof Request ? input.url : input.toString());
    if (env.SANDBOX === "on" && isSandboxUrl(url)) return sandboxFleetStub(env).fetch(input, init);
    return network(input, init);
  };
}
