import type { MiddlewareHandler } from "hono";
import type { Env } from "../env";
import { seedDemo } from "../ledger/demo-seed";

let seeded: Promise<void> | null = null;

/**
 * With DEMO_SEED on (npm start), the first API request of an isolate makes
 * sure the demo credential, connections and dataset exist, their URLs on the
 * port the dashboard is served from. Seeding is idempotent, so several
 * isolates racing is harmless.
 */
export function demoSeed(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    if (c.env.DEMO_SEED === "on") {
      seeded ??= seedDemo(c.env.LEDGER, Date.now(), { requestUrl: c.req.url, publicUrl: c.env.PUBLIC_URL }).catch((err: unknown) => {
        seeded = null;
        throw err;
      });
      await seeded;
    }
    await next();
  };
}
