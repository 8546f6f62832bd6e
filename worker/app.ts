import { Hono } from "hono";
import type { Env } from "./env";
import { handleError, handleNotFound } from "./api/errors";
import { health } from "./api/health";
import { connections } from "./api/connections";
import { demoSeed } from "./api/demo-seed-middleware";
import { sandboxMount } from "./sandbox/mount";

export function createApp(): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  app.onError(handleError);
  app.notFound(handleNotFound);

  app.route("/sandbox", sandboxMount);

  const api = new Hono<{ Bindings: Env }>();
  // Health first, so it answers even when seeding cannot run (no migrations).
  api.route("/health", health);
  api.use("*", demoSeed());
  api.route("/connections", connections);
  app.route("/api", api);

  return app;
}

export const app = createApp();
