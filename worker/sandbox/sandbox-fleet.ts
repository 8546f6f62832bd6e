import { DurableObject } from "cloudflare:workers";
import type { Hono } from "hono";
import type { Env } from "../env";
import { FleetStore } from "./fleet-store";
import { createSandboxRoutes } from "./routes";
import { defaultSandboxConfig } from "./sandbox-config";

// The demo fleet destination: one instance ("demo") holds the fleet, its knobs and its counters
// in SQLite, so write counts survive eviction exactly.
export class SandboxFleet extends DurableObject<Env> {
  private readonly store: FleetStore;
  private app: Hono | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new FleetStore(ctx.storage.sql, (fn) => ctx.storage.transactionSync(fn));
  }

  override async fetch(request: Request): Promise<Response> {
    if (this.app === null) {
      this.store.ensureSeeded();
      this.app = createSandboxRoutes({ store: this.store, defaults: defaultSandboxConfig(this.env) });
    }
    return this.app.fetch(request);
  }
}
