import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import pkg from "../../package.json";
import type { AppEnv } from "../app-env";
import { API_SECURITY_SCHEMES } from "../auth/middleware";
import { renderDocsPage } from "./docs-page";

export const OPENAPI_PATH = "/api/openapi.json";
export const DOCS_PATH = "/api/docs";

const DESCRIPTION = [
  "Outbound Sync pushes fields of source records into a destination system's HTTP API and records every run.",
  "",
  "**Authentication.** Every route but health, this document and the reference page needs `Authorization: Bearer <API token>`",
  "(or, where configured, a Cloudflare Access identity). Roles: `viewer` < `operator` < `admin` — viewers read,",
  "operators also run and cancel, admins also configure. Each operation states its minimum role in `x-min-role`.",
  "",
  '**Errors** are always `{ "error": { "code", "message", "details", "hint"?, "meta"? } }` on every status.',
  "`details` is always a list `[{ path, message, in? }]`, one entry per problem (a field with two problems has two), empty",
  "when no field is at fault; `hint` says what to do next; `meta` holds machine-readable facts such as `current_version`",
  "or `max_bytes`. A method a path does not take is 405 `method_not_allowed` with `Allow`; a JSON body under another",
  "`Content-Type` is 415. Lists page with `cursor` (the previous page's `next_cursor`, unchanged) and `limit`.",
].join("\n");

const TAGS = [
  { name: "System", description: "Health, this document and the API reference." },
  { name: "Credentials", description: "Destination auth contexts. Secrets are write-only." },
  { name: "Connections", description: "Contracts, mapping, limits, execution order and configuration history." },
  { name: "Datasets", description: "Records pushed into dataset-sourced connections." },
  { name: "Settings", description: "Retention and log export." },
  { name: "API tokens", description: "Bearer tokens with roles; shown once, stored as hashes." },
  { name: "Runs", description: "Outbound runs: start, list, cancel, rerun; Sync Now and Reset on a connection." },
  { name: "Jobs", description: "One connection's execution in a run: counters, record outcomes, logs." },
  { name: "Stats", description: "Failures, durations and success over a window." },
  { name: "Alerts", description: "Channels, rules, the delivery log with attempts, redelivery." },
  { name: "Destinations", description: "Circuit breakers of destination hosts that keep failing." },
  { name: "Live", description: "Progress as it happens, over a WebSocket." },
  { name: "Configuration as code", description: "Export, plan and apply the whole configuration as one YAML or JSON document." },
];

/** The document for everything registered on `app`, with its security schemes and global security. */
export function buildOpenApiDocument(app: OpenAPIHono<AppEnv>, serverUrl?: string) {
  const document = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "Outbound Sync API", version: pkg.version, description: DESCRIPTION },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    tags: TAGS,
    security: [{ bearerAuth: [] }, { cloudflareAccess: [] }],
  });
  document.components = {
    ...document.components,
    securitySchemes: { ...API_SECURITY_SCHEMES },
  };
  return document;
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

const openApiRoute = createRoute({
  method: "get",
  operationId: "getOpenApiDocument",
  path: OPENAPI_PATH,
  tags: ["System"],
  summary: "This OpenAPI 3.1 document",
  description: "Public. Every operation carries `x-min-role`, the least role that may call it.",
  security: [],
  responses: {
    200: {
      description: "The OpenAPI document.",
      content: { "application/json": { schema: z.record(z.string(), z.unknown()).openapi({ type: "object" }) } },
    },
  },
});

const docsRoute = createRoute({
  method: "get",
  operationId: "getApiReference",
  path: DOCS_PATH,
  tags: ["System"],
  summary: "Readable API reference",
  description: "Public. An HTML page generated from the OpenAPI document; it loads nothing from elsewhere.",
  security: [],
  responses: { 200: { description: "The reference page.", content: { "text/html": { schema: z.string() } } } },
});

/** Registers both routes on the root app; they read its registry per request, so every mounted route is included. */
export function mountApiDocs(app: OpenAPIHono<AppEnv>): void {
  app.openapi(openApiRoute, (c) => c.json(buildOpenApiDocument(app, new URL(c.req.url).origin), 200));
  app.openapi(docsRoute, (c) => {
    c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    return c.html(renderDocsPage(buildOpenApiDocument(app, new URL(c.req.url).origin), OPENAPI_PATH), 200);
  });
}
