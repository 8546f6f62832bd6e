import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/**
 * Owns one run: ordering, slices, checkpoints, cancellation and the live
 * feed. This first version keeps the run's snapshot in its SQLite storage;
 * execution lands with the edge-execution work.
 */
export class RunCoordinator extends DurableObject<Env> {
  async snapshot(): Promise<unknown> {
    return (await this.ctx.storage.get("snapshot")) ?? null;
  }
}
