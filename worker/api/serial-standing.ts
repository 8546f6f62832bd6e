import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { readSerialStanding } from "../ledger/latest-outcomes";
import { createRouter } from "./router";
import { errorResponses, jsonContent } from "../schemas/common";
import { serialStandingQuerySchema, serialStandingSchema } from "../schemas/connection-serials";

// Mounted at /api/serials: where one serial stands on every connection (D1's latest_outcomes, by key).
export const serialStanding = createRouter();

const latestRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getSerialStanding",
  path: "/latest",
  tags: ["Connections"],
  summary: "One serial's latest outcome on every connection",
  description:
    "For “why did device X not update?”: each connection's latest outcome for the serial, since when, and the job that recorded it. " +
    "The serial is a query parameter, so any characters it holds stay one value.",
  request: { query: serialStandingQuerySchema },
  responses: { 200: jsonContent(serialStandingSchema, "The serial on each connection that has decided it."), ...errorResponses(400) },
});

serialStanding.openapi(latestRoute, async (c) => {
  const { serial } = c.req.valid("query");
  return c.json({ serial, connections: await readSerialStanding(c.env.LEDGER, serial) }, 200);
});
