import type { Hono } from "hono";
import type { AppEnv } from "../app-env";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * The methods `path` takes, as the app's own router matches it: a route (middleware is registered for ALL, so it
 * never counts) under another method turns a miss into 405 with `Allow` rather than a 404 that says the path is wrong.
 */
export function allowedMethods(app: Pick<Hono<AppEnv>, "router">, path: string): string[] {
  const allowed: string[] = METHODS.filter((method) => app.router.match(method, path)[0].some(([[, route]]) => route.method === method));
  // A GET route answers HEAD too.
  return allowed.includes("GET") ? [...allowed, "HEAD"] : allowed;
}
