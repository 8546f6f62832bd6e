import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate, requireRole } from "../auth/middleware";
import type { Env } from "../env";
import { INERT_RESPONSE_HEADERS } from "./routes";
import type { SandboxFleet } from "./sandbox-fleet";

// Every /sandbox request goes to the one fleet instance; with SANDBOX off the path does not exist.
export const sandboxMount = new Hono<AppEnv>();

sandboxMount.use("*", async (c, next) => {
  if (c.env.SANDBOX !== "on") {
    c.res = c.json({ error: { code: "not_found", message: "The sandbox destination is not enabled (SANDBOX is off)." } }, 404);
  } else {
    await next();
  }
  // The fleet object marks its own answers; these are the mount's (404 when off, 401 and 403).
  if (!c.res.headers.has("X-Content-Type-Options")) {
    c.res = new Response(c.res.body, c.res);
    for (const [name, value] of Object.entries(INERT_RESPONSE_HEADERS)) c.res.headers.set(name, value);
  }
});

// Webhook senders deliver without a token, but what a receiver captured (signed alert deliveries) is read like
// the delivery log, by a viewer; scripting or clearing a receiver changes what it answers, so it is an operator's.
const signedIn = authenticate();
sandboxMount.get("/_receiver/:name", signedIn, requireRole("viewer"), forward);
sandboxMount.delete("/_receiver/:name", signedIn, requireRole("operator"), forward);
sandboxMount.put("/_receiver/:name/_script", signedIn, requireRole("operator"), forward);
sandboxMount.all("*", forward);

function forward(c: Context<AppEnv>): Promise<Response> {
  return sandboxFleetStub(c.env).fetch(c.req.raw);
}

export function sandboxFleetStub(env: Env): DurableObjectStub<SandboxFleet> {
  return env.SANDBOX_FLEET.get(env.SANDBOX_FLEET.idFromName("demo"));
}
