import { createRoute } from "@hono/zod-openapi";
import { wakeSender } from "../alerts/alert-queue";
import { minRole } from "../auth/middleware";
import { getDelivery, listDeliveries, redeliver } from "../ledger/alerts-deliveries";
import { ALERT_TAGS } from "./alert-checks";
import { deliveryDetailSchema, deliveryListQuerySchema, deliveryPageSchema } from "../schemas/alerts";
import { decodeCursor, encodeCursor, isStringTuple1 } from "./cursor";
import { ApiError, notFoundError } from "./errors";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema, jsonContent } from "../schemas/common";

// The delivery log under /api/alerts: viewers read it, operators redeliver.
export const alertDeliveries = createRouter();

const listDeliveriesRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listAlertDeliveries",
  path: "/deliveries",
  tags: ALERT_TAGS,
  summary: "The delivery log",
  description: "Newest first, each delivery with every attempt (status code, duration, response excerpt, error).",
  request: { query: deliveryListQuerySchema },
  responses: { 200: jsonContent(deliveryPageSchema, "A page of deliveries."), ...errorResponses(400) },
});

const getDeliveryRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getAlertDelivery",
  path: "/deliveries/{id}",
  tags: ALERT_TAGS,
  summary: "Get a delivery with its attempts and payload",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(deliveryDetailSchema, "The delivery."), ...errorResponses(404) },
});

const redeliverRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "redeliverAlertDelivery",
  path: "/deliveries/{id}/redeliver",
  tags: ALERT_TAGS,
  summary: "Redeliver",
  description: "Sends the same body again under the same `webhook-id`, with a fresh retry schedule. Refused with 409 while the channel is disabled.",
  request: { params: idParamsSchema },
  responses: { 202: jsonContent(deliveryDetailSchema, "Queued; the dispatcher sends it now."), ...errorResponses(404, 409) },
});

alertDeliveries.openapi(listDeliveriesRoute, async (c) => {
  const query = c.req.valid("query");
  const before = decodeCursor(query.cursor, isStringTuple1);
  const { data, hasMore } = await listDeliveries(
    c.env.LEDGER,
    {
      ...(query.channel_id !== undefined ? { channelId: query.channel_id } : {}),
      ...(query.status !== undefined ? { status: query.status } : {}),
      ...(query.event_type !== undefined ? { eventType: query.event_type } : {}),
      ...(query.run_id !== undefined ? { runId: query.run_id } : {}),
    },
    { beforeId: before?.[0] ?? null, limit: query.limit },
  );
  const last = data.at(-1);
  return c.json({ data, next_cursor: hasMore && last ? encodeCursor([last.id]) : null }, 200);
});

alertDeliveries.openapi(getDeliveryRoute, async (c) => {
  const { id } = c.req.valid("param");
  const delivery = await getDelivery(c.env.LEDGER, id);
  if (!delivery) throw notFoundError("delivery", id);
  return c.json(delivery, 200);
});

alertDeliveries.openapi(redeliverRoute, async (c) => {
  const { id } = c.req.valid("param");
  const outcome = await redeliver(c.env.LEDGER, id, Date.now());
  switch (outcome.status) {
    case "not_found":
      throw notFoundError("delivery", id);
    case "channel_unavailable":
      throw new ApiError(409, "channel_disabled", "The delivery's channel is disabled or deleted; enable the channel first, then redeliver.");
    case "queued":
      await wakeSender(c.env, outcome.delivery.channel_id);
      return c.json(outcome.delivery, 202);
  }
});
