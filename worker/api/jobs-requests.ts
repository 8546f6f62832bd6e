import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { roleAtLeast, type Role } from "../auth/principal";
import { openJobHistory, type JobHistory } from "../archive/job-history";
import { listArchivedRequests, readArchivedRequest, type RequestFilters } from "../archive/request-reader";
import type { ArchivedRequest } from "../archive/request-codec";
import { notFoundError } from "./errors";
import { foreignCursor } from "./cursor";
import { createRouter } from "./router";
import { idParamsSchema } from "../schemas/runs";
import { requestEntrySchema, requestListQuerySchema, requestPageSchema, requestParamsSchema, type RequestEntry } from "../schemas/requests";
import { errorResponses, jsonContent } from "../schemas/common";

// The request inspector: a job's HTTP attempts from its archive. Viewers see everything but the bodies, which
// may hold personal data. Mounted at /api/jobs beside jobsRouter; expects `authenticate()` on /api/*.
export const jobRequestsRouter = createRouter();

const listRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listJobRequests",
  path: "/{id}/requests",
  tags: ["Jobs"],
  summary: "List a job's requests",
  description:
    "Every HTTP attempt the job made (source and listing pages, lookups, writes, read-backs, token requests), by seq, " +
    "live while the job runs and kept for the retention window. Secrets are masked; bodies are excerpts of at most " +
    "`request_log.body_excerpt_bytes` and are null for viewers (`bodies_hidden`). A job from before the archive has none.",
  request: { params: idParamsSchema("job_01jd7v0q2k8x3c5n4m6p7r8s9t"), query: requestListQuerySchema },
  responses: { 200: jsonContent(requestPageSchema, "One page of requests, oldest first."), ...errorResponses(400, 404) },
});

const getRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getJobRequest",
  path: "/{id}/requests/{seq}",
  tags: ["Jobs"],
  summary: "Get one request of a job",
  request: { params: requestParamsSchema },
  responses: { 200: jsonContent(requestEntrySchema, "The request; bodies null for viewers."), ...errorResponses(400, 404) },
});

jobRequestsRouter.openapi(listRoute, async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  const filters: RequestFilters = {
    serial: query.serial,
    status: query.status,
    method: query.method,
    url: query.url,
    phase: query.phase,
    afterSeq: afterSeq(query.cursor),
  };
  const history = await historyOf(c.env, id);
  if (history.kind !== "archive") return c.json({ data: [], next_cursor: null }, 200);
  const page = await listArchivedRequests(history.source, history.job, filters, query.limit);
  const show = bodiesShownTo(c.get("principal").role);
  return c.json({ data: page.data.map((request) => toEntry(request, show)), next_cursor: page.nextCursor }, 200);
});

jobRequestsRouter.openapi(getRoute, async (c) => {
  const { id, seq } = c.req.valid("param");
  const history = await historyOf(c.env, id);
  const request = history.kind === "archive" ? await readArchivedRequest(history.source, history.job, seq) : null;
  if (request === null) throw notFoundError("request", `${id}/${seq}`);
  return c.json(toEntry(request, bodiesShownTo(c.get("principal").role)), 200);
});

async function historyOf(env: Parameters<typeof openJobHistory>[0], id: string): Promise<JobHistory> {
  const history = await openJobHistory(env, id);
  if (!history) throw notFoundError("job", id);
  return history;
}

function afterSeq(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  if (!/^\d{1,15}$/.test(cursor)) {
    throw foreignCursor();
  }
  return Number(cursor);
}

const bodiesShownTo = (role: Role) => roleAtLeast(role, "operator");

function toEntry(request: ArchivedRequest, showBodies: boolean): RequestEntry {
  return {
    ...request,
    at: new Date(request.at).toISOString(),
    // Entries recorded before the field existed have none.
    concurrency: request.concurrency ?? null,
    request_body: showBodies ? request.request_body : null,
    response_body: showBodies ? request.response_body : null,
    bodies_hidden: !showBodies,
  };
}
