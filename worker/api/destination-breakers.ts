import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { breakerStub } from "../breakers/breaker-gate";
import { BREAKER_POLICY, type BreakerRecord } from "../breakers/breaker-state";
import { listBreakers } from "../ledger/destination-breakers";
import { errorResponses, jsonContent } from "../schemas/common";
import { breakerHostParamsSchema, breakerListSchema, destinationBreakerSchema, type DestinationBreakerView } from "../schemas/destination-breakers";
import { notFoundError } from "./errors";
import { createRouter } from "./router";

// Mounted at /api/destinations. What each destination host's circuit breaker says (from D1, written at each
// transition), and an operator's reset, which goes through the host's Durable Object like every other change.
export const destinationBreakers = createRouter();

const LIST_LIMIT = 500;

const listRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listDestinationBreakers",
  path: "/breakers",
  tags: ["Destinations"],
  summary: "Destination circuit breakers",
  description:
    "Each destination host whose breaker has opened: its state, the next probe, the last error and the jobs it holds back, " +
    "with the policy that opens it. While a host's breaker is open, jobs sending to it wait (status running, `waiting` set).",
  responses: {
    200: jsonContent(breakerListSchema, "The breakers and the policy."),
    ...errorResponses(),
  },
});

const resetRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "resetDestinationBreaker",
  path: "/breakers/{host}/reset",
  tags: ["Destinations"],
  summary: "Close a destination's breaker now",
  description:
    "Closes the breaker without waiting for a probe: its incident is resolved and the jobs waiting on the host resume at once. " +
    "If the host still fails, the breaker opens again.",
  request: { params: breakerHostParamsSchema },
  responses: {
    200: jsonContent(destinationBreakerSchema, "The breaker, closed."),
    ...errorResponses(400, 404),
  },
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function breakerView(record: BreakerRecord, waitingJobs: number): DestinationBreakerView {
  return {
    host: record.host,
    state: record.state,
    opened_at: iso(record.opened_at),
    next_probe_at: record.state === "open" ? iso(record.next_probe_at) : null,
    probe_started_at: record.state === "half_open" ? iso(record.probe_started_at) : null,
    failed_probes: record.failed_probes,
    last_error: record.last_error,
    last_failure_at: iso(record.last_failure_at),
    closed_at: iso(record.closed_at),
    updated_at: new Date(record.updated_at).toISOString(),
    waiting_jobs: waitingJobs,
  };
}

destinationBreakers.openapi(listRoute, async (c) => {
  const rows = await listBreakers(c.env.LEDGER, LIST_LIMIT);
  return c.json(
    {
      breakers: rows.map(({ waiting_jobs, ...record }) => breakerView(record, waiting_jobs)),
      policy: {
        consecutive_failures: BREAKER_POLICY.consecutiveFailures,
        window_ms: BREAKER_POLICY.windowMs,
        window_min_requests: BREAKER_POLICY.windowMinRequests,
        window_failure_percent: BREAKER_POLICY.windowFailurePercent,
        first_probe_ms: BREAKER_POLICY.firstProbeMs,
        max_probe_ms: BREAKER_POLICY.maxProbeMs,
      },
    },
    200,
  );
});

destinationBreakers.openapi(resetRoute, async (c) => {
  const host = c.req.valid("param").host.toLowerCase();
  const record = await breakerStub(c.env, host).reset(host);
  if (record === null) throw notFoundError("destination breaker", host);
  return c.json(breakerView(record, 0), 200);
});
