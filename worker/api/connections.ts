import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { outboundUrlPolicy } from "../auth/url-safety";
import { validateConnectionConfig, type ConnectionConfig } from "../engine/contracts";
import type { Env } from "../env";
import {
  deleteConnection,
  getConnection,
  insertConnection,
  listConnectionSummaries,
  listConnectionVersions,
  snapshotOf,
  updateConnectionState,
} from "../ledger/connections";
import { newId } from "../ledger/ids";
import { decodeCursor, isNumberTuple1, pageOf } from "./cursor";
import { ApiError, nameTakenError, notFoundError, validationError, type FieldIssue } from "./errors";
import { contractUrls, outboundUrlIssues } from "./outbound-url-checks";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema, jsonContent, listQuerySchema } from "../schemas/common";
import type { ConnectionConfigPatch } from "../schemas/connection-config";
import {
  connectionSchema,
  connectionSummaryPageSchema,
  connectionVersionPageSchema,
  createConnectionBodySchema,
  ifMatchHeadersSchema,
  listConnectionsQuerySchema,
  updateConnectionBodySchema,
  type Connection,
  type ConnectionSnapshot,
  type UpdateConnectionBody,
} from "../schemas/connections";

export const connections = createRouter();
const TAGS = ["Connections"];
// Without an expected version a PATCH is re-applied on top of a concurrent change this many times.
const UNCONDITIONAL_ATTEMPTS = 3;

const listRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listConnections",
  path: "/",
  tags: TAGS,
  summary: "List connections in execution order",
  description: "Ordered by credential name, then position.",
  request: { query: listConnectionsQuerySchema },
  responses: { 200: jsonContent(connectionSummaryPageSchema, "A page of connections."), ...errorResponses(400) },
});

const getRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getConnection",
  path: "/{id}",
  tags: TAGS,
  summary: "Get a connection with its configuration",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(connectionSchema, "The connection; the ETag header is its version."), ...errorResponses(404) },
});

const createConnectionRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "createConnection",
  path: "/",
  tags: TAGS,
  summary: "Create a connection",
  description: "Placed last in its credential's execution order, with dry run on unless asked otherwise. Version 1 is recorded in the history.",
  request: { body: { required: true, content: { "application/json": { schema: createConnectionBodySchema } } } },
  responses: { 201: jsonContent(connectionSchema, "Created."), ...errorResponses(400, 409, 415) },
});

const updateRoute = createRoute({
  ...minRole("admin"),
  method: "patch",
  operationId: "updateConnection",
  path: "/{id}",
  tags: TAGS,
  summary: "Change a connection",
  description:
    "Every change increments `version` and records the full configuration, who and when. Send If-Match (or expected_version) to refuse with 409 when someone else changed it first.",
  request: {
    params: idParamsSchema,
    headers: ifMatchHeadersSchema,
    body: { required: true, content: { "application/json": { schema: updateConnectionBodySchema } } },
  },
  responses: { 200: jsonContent(connectionSchema, "The connection after the change."), ...errorResponses(400, 404, 409, 415) },
});

const deleteRoute = createRoute({
  ...minRole("admin"),
  method: "delete",
  operationId: "deleteConnection",
  path: "/{id}",
  tags: TAGS,
  summary: "Delete a connection",
  description: "Its dataset and configuration history go with it; the positions after it close up. Past jobs keep their records.",
  request: { params: idParamsSchema },
  responses: { 204: { description: "Deleted." }, ...errorResponses(404) },
});

const versionsRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listConnectionVersions",
  path: "/{id}/versions",
  tags: TAGS,
  summary: "History of configuration changes",
  description: "Newest first; each entry holds the whole configuration as it was after that change.",
  request: { params: idParamsSchema, query: listQuerySchema },
  responses: { 200: jsonContent(connectionVersionPageSchema, "A page of versions."), ...errorResponses(400, 404) },
});

connections.openapi(listRoute, async (c) => {
  const { cursor, limit, credential_id: credentialId } = c.req.valid("query");
  const after = decodeCursor(cursor, isListCursor);
  const rows = await listConnectionSummaries(c.env.LEDGER, {
    ...(credentialId === undefined ? {} : { credentialId }),
    after: after && { credentialName: after[0], position: after[1], id: after[2] },
    limit: limit + 1,
  });
  return c.json(
    pageOf(rows, limit, (last) => [last.credential_name, last.position, last.id]),
    200,
  );
});

connections.openapi(getRoute, async (c) => {
  const { id } = c.req.valid("param");
  const connection = await requireConnection(c.env, id);
  c.header("ETag", `"${connection.version}"`);
  return c.json(connection, 200);
});

connections.openapi(createConnectionRoute, async (c) => {
  const body = c.req.valid("json");
  checkUrls(c.env, body.config);
  const id = newId("conn");
  const snapshot: ConnectionSnapshot = {
    name: body.name,
    enabled: body.enabled,
    dry_run: body.dry_run,
    debug: body.debug,
    schedule: body.schedule,
    config: body.config,
    freshness_sla_minutes: body.freshness_sla_minutes,
  };
  const outcome = await insertConnection(c.env.LEDGER, id, body.credential_id, {
    snapshot,
    changedBy: c.var.principal.name,
    note: body.change_note ?? "Created",
    now: Date.now(),
  });
  if (outcome === "credential_not_found") {
    throw validationError([{ path: "credential_id", message: `no credential with id ${body.credential_id}`, in: "body" }]);
  }
  if (outcome === "name_taken") throw nameTaken(body.name);
  const created = await requireConnection(c.env, id);
  c.header("ETag", `"${created.version}"`);
  return c.json(created, 201);
});

connections.openapi(updateRoute, async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const expected = expectedVersion(c.req.valid("header")["if-match"], body.expected_version);

  for (let attempt = 1; ; attempt++) {
    const current = await requireConnection(c.env, id);
    if (expected !== null && current.version !== expected) throw versionConflict(current.version, expected);
    const next = applyPatch(c.env, current, body);
    if (canonicalJson(next) === canonicalJson(snapshotOf(current))) {
      c.header("ETag", `"${current.version}"`);
      return c.json(current, 200); // nothing changed, so no new version
    }
    const outcome = await updateConnectionState(c.env.LEDGER, id, current.version, {
      snapshot: next,
      changedBy: c.var.principal.name,
      note: body.change_note ?? null,
      now: Date.now(),
    });
    if (outcome === "name_taken") throw nameTaken(next.name);
    if (outcome === "updated") {
      const updated = await requireConnection(c.env, id);
      c.header("ETag", `"${updated.version}"`);
      return c.json(updated, 200);
    }
    if (expected !== null || attempt >= UNCONDITIONAL_ATTEMPTS) {
      const latest = await requireConnection(c.env, id);
      throw versionConflict(latest.version, expected ?? current.version);
    }
  }
});

connections.openapi(deleteRoute, async (c) => {
  const { id } = c.req.valid("param");
  if (!(await deleteConnection(c.env.LEDGER, id))) throw notFound(id);
  return c.body(null, 204);
});

connections.openapi(versionsRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { cursor, limit } = c.req.valid("query");
  const before = decodeCursor(cursor, isNumberTuple1);
  await requireConnection(c.env, id);
  const rows = await listConnectionVersions(c.env.LEDGER, id, { before: before?.[0] ?? null, limit: limit + 1 });
  return c.json(
    pageOf(rows, limit, (last) => [last.version]),
    200,
  );
});

function applyPatch(env: Env, current: Connection, body: UpdateConnectionBody): ConnectionSnapshot {
  const base = snapshotOf(current);
  const config = body.config === undefined ? base.config : mergeConfig(env, base.config, body.config);
  return {
    name: body.name ?? base.name,
    enabled: body.enabled ?? base.enabled,
    dry_run: body.dry_run ?? base.dry_run,
    debug: body.debug ?? base.debug,
    schedule: body.schedule === undefined ? base.schedule : body.schedule,
    config,
    freshness_sla_minutes: body.freshness_sla_minutes === undefined ? base.freshness_sla_minutes : body.freshness_sla_minutes,
  };
}

// Parts are validated alone by the request schema; rules that span parts are checked on the merged whole.
function mergeConfig(env: Env, current: ConnectionConfig, patch: ConnectionConfigPatch): ConnectionConfig {
  const merged = {
    source: patch.source ?? current.source,
    fetch: patch.fetch ?? current.fetch,
    update: patch.update ?? current.update,
    mapping: patch.mapping ?? current.mapping,
    limits: { ...current.limits, ...patch.limits },
  };
  const verdict = validateConnectionConfig(merged);
  if (!verdict.ok) {
    throw validationError(verdict.issues.map((issue): FieldIssue => ({ path: `config.${issue.path}`, message: issue.message, in: "body" })));
  }
  checkUrls(env, verdict.value);
  return verdict.value;
}

function checkUrls(env: Env, config: ConnectionConfig): void {
  const issues = outboundUrlIssues(contractUrls(config), outboundUrlPolicy(env));
  if (issues.length > 0) throw validationError(issues);
}

// If-Match: "3", W/"3" or 3. The header and expected_version must agree when both are sent.
function expectedVersion(ifMatch: string | undefined, fromBody: number | undefined): number | null {
  let fromHeader: number | undefined;
  if (ifMatch !== undefined) {
    const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(ifMatch);
    if (!match) throw validationError([{ path: "If-Match", message: 'expected the version, e.g. "3"', in: "header" }], "header");
    fromHeader = Number(match[1]);
  }
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody) {
    throw validationError([{ path: "expected_version", message: `disagrees with If-Match (${fromHeader})`, in: "body" }]);
  }
  return fromHeader ?? fromBody ?? null;
}

async function requireConnection(env: Env, id: string): Promise<Connection> {
  const connection = await getConnection(env.LEDGER, id);
  if (!connection) throw notFound(id);
  return connection;
}

// Key order differs between stored JSON and freshly parsed input; it must not count as a change.
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

const isListCursor = (v: unknown): v is [string, number, string] =>
  Array.isArray(v) && v.length === 3 && typeof v[0] === "string" && Number.isInteger(v[1]) && typeof v[2] === "string";

function versionConflict(current: number, expected: number): ApiError {
  return new ApiError(
    409,
    "version_conflict",
    `The connection is at version ${current}, not ${expected}: someone changed it meanwhile. Reload it and apply your change again.`,
    { meta: { current_version: current, expected_version: expected } },
  );
}

function notFound(id: string): ApiError {
  return notFoundError("connection", id);
}

function nameTaken(name: string): ApiError {
  return nameTakenError(`The credential already has a connection named "${name}".`);
}
