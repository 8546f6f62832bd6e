import { Hono } from "hono";
import type { Env } from "../env";
import type { SandboxFleet } from "./sandbox-fleet";

// Every /sandbox request goes to the one fleet instance; with SANDBOX off the path does not exist.
export const sandboxMount = new Hono<{ Bindings: Env }>();

sandboxMount.all("*", (c) => {
  if (c.env.SANDBOX !== "on") {
    return c.json({ error: { code: "not_found", message: "The sandbox destination is not enabled (SANDBOX is off)." } }, 404);
  }
  return sandboxFleetStub(c.env).fetch(c.req.raw);
});

export function sandboxFleetStub(env: Env): DurableObjectStub<SandboxFleet> {
  return env.SANDBOX_FLEET.get(env.SANDBOX_FLEET.idFromName("demo"));
}
