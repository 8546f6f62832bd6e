import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { RunTrigger } from "../schemas/vocabulary";
import { CLIENT_HEADER, DASHBOARD_CLIENT } from "../../shared/client-header";

// The request headers of the routes that start runs (POST /runs, Sync Now), and the trigger they give a run.

export const clientHeaderSchema = z.object({
  [CLIENT_HEADER]: z
    .string()
    .max(40)
    .optional()
    .openapi({
      description: `\`${DASHBOARD_CLIENT}\` marks a request the dashboard sends: the run is then \`manual\` (started by a person) rather than \`api\`.`,
    }),
});

// Access identities and the dashboard's own requests are people; other token callers are scripts, CI and agents.
export function triggerOf(c: Context<AppEnv>): RunTrigger {
  if (c.var.principal.kind === "access") return "manual";
  return c.req.header(CLIENT_HEADER) === DASHBOARD_CLIENT ? "manual" : "api";
}
