import type { MiddlewareHandler } from "hono";

// Every answer carries the server's time in a Date header, as HTTP asks of a server with a clock (Cloudflare adds
// one at the edge; the local runtime does not). The dashboard sets its clock by it: a browser hours off would
// otherwise judge deadlines and durations on its own time. Registered outside securityHeaders, whose copy of a
// passed-through response is mutable by the time this runs.
export function serverDate(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    // An upgrade (101) is the runtime's own; it carries no header of ours.
    if (c.res.status !== 101 && !c.res.headers.has("date")) c.res.headers.set("date", new Date().toUTCString());
  };
}
