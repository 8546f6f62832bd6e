import { createRoute, z } from "@hono/zod-openapi";
import { parseDocument, stringify } from "yaml";
import { minRole } from "../auth/middleware";
import { checkOutboundUrl, outboundUrlPolicy } from "../auth/url-safety";
import { applyConfig, assertSecrets } from "../config-as-code/apply";
import { assertPlanId, exportConfig, planDocument } from "../config-as-code/config-plan";
import { errorMessage } from "../../shared/lang";
import { validationError, zodIssues, type FieldIssue } from "./errors";
import { createRouter } from "./router";
import { errorResponses, jsonContent } from "../schemas/common";
import { applyBodySchema, applyResultSchema, exportQuerySchema, planBodySchema, planSchema, type ConfigFormat, type PlanBody } from "../schemas/config-as-code";
import { configDocumentSchema, type ConfigDocument } from "../schemas/config-document";

// /api/config: configuration as code. Export the credentials, connections, alert channels and rules as one
// document; plan a document against what is stored; apply it whole, in one batch. Admins only: a document
// names every destination and its settings.
export const configAsCode = createRouter();
const TAGS = ["Configuration as code"];

const exportRoute = createRoute({
  ...minRole("admin"),
  method: "get",
  operationId: "exportConfig",
  path: "/export",
  tags: TAGS,
  summary: "Export the configuration as one document",
  description:
    "Credentials (without secrets), connections (schedules, limits, mapping, enabled, dry run, position, freshness SLA), alert channels " +
    "(without secrets) and alert rules, keyed by name. Each secret is a reference `{ secret: NAME }`; apply takes its value in `secrets`.",
  request: { query: exportQuerySchema },
  responses: {
    200: {
      description: "The document.",
      content: {
        "text/yaml": { schema: z.string().openapi({ description: "YAML." }) },
        "application/json": { schema: configDocumentSchema },
      },
    },
    ...errorResponses(400),
  },
});

const planRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "planConfig",
  path: "/plan",
  tags: TAGS,
  summary: "Plan a configuration document",
  description:
    "What applying the document would create, change (field by field, before → after) and delete; nothing is written. An invalid document " +
    "is refused with 400 naming the path, e.g. `connections[2].config.fetch.url`.",
  request: { body: { required: true, content: { "application/json": { schema: planBodySchema } } } },
  responses: { 200: jsonContent(planSchema, "The plan."), ...errorResponses(400, 415) },
});

const applyRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "applyConfig",
  path: "/apply",
  tags: TAGS,
  summary: "Apply a configuration document",
  description:
    "Plans the document again and applies it whole in one batch, or nothing. With `plan_id`, refuses with 409 `plan_changed` when the " +
    "plan is no longer the one shown. Each changed connection gets a new version with `change_note`. A secret the document needs and " +
    "`secrets` lacks is refused with 400 naming `secrets.NAME`.",
  request: { body: { required: true, content: { "application/json": { schema: applyBodySchema } } } },
  responses: { 200: jsonContent(applyResultSchema, "The plan applied."), ...errorResponses(400, 409, 415, 503) },
});

configAsCode.openapi(exportRoute, async (c) => {
  const { format } = c.req.valid("query");
  const document = await exportConfig(c.env);
  const stamp = new Date().toISOString().slice(0, 10);
  c.header("Content-Disposition", `attachment; filename="outbound-sync-config-${stamp}.${format === "yaml" ? "yaml" : "json"}"`);
  // Indented either way: the text is meant for a repository and a reviewer's diff.
  const text = format === "json" ? `${JSON.stringify(document, null, 2)}\n` : stringify(document, { lineWidth: 0 });
  return c.body(text, 200, { "Content-Type": format === "json" ? "application/json; charset=utf-8" : "text/yaml; charset=utf-8" }) as never;
});

configAsCode.openapi(planRoute, async (c) => {
  const body = c.req.valid("json");
  const { plan } = await planDocument(c.env, readDocument(body));
  return c.json(plan, 200);
});

configAsCode.openapi(applyRoute, async (c) => {
  const body = c.req.valid("json");
  const document = readDocument(body);
  const { plan, desired, steps } = await planDocument(c.env, document);
  assertPlanId(plan, body.plan_id);
  const secrets = body.secrets ?? {};
  await assertSecrets(
    desired,
    plan.secrets.filter((secret) => secret.required).map((secret) => secret.name),
    secrets,
  );
  checkSecretUrls(c.env, desired.secretRefs, secrets);
  const generated = await applyConfig(c.env, {
    desired,
    steps,
    secrets,
    changedBy: c.var.principal.name,
    changeNote: body.change_note ?? null,
    now: Date.now(),
  });
  return c.json({ ...plan, generated_secrets: generated }, 200);
});

// Text is read as YAML (JSON is YAML too) unless the format says JSON; then the document schema, the API's own.
function readDocument(body: PlanBody): ConfigDocument {
  const raw = typeof body.document === "string" ? parseText(body.document, body.format ?? "yaml") : body.document;
  const parsed = configDocumentSchema.safeParse(raw);
  if (!parsed.success) throw validationError(zodIssues(parsed.error, "body"));
  return parsed.data;
}

function parseText(text: string, format: ConfigFormat): unknown {
  if (format === "json") {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw validationError([{ path: "document", message: `is not JSON: ${errorMessage(error)}`, in: "body" }]);
    }
  }
  const parsed = parseDocument(text, { prettyErrors: true });
  const first = parsed.errors[0];
  if (first !== undefined) throw validationError([{ path: "document", message: `is not YAML: ${first.message}`, in: "body" }]);
  return parsed.toJS({ maxAliasCount: 100 });
}

// A Slack webhook URL is the channel's secret: it is checked like any outbound URL, as the value given.
function checkSecretUrls(env: Parameters<typeof outboundUrlPolicy>[0], refs: Array<{ field: string; secret: string }>, secrets: Record<string, string>): void {
  const policy = outboundUrlPolicy(env);
  const issues: FieldIssue[] = refs.flatMap((ref) => {
    const value = secrets[ref.secret];
    const problem = ref.field === "webhook_url" && value !== undefined ? checkOutboundUrl(value, policy) : null;
    return problem === null ? [] : [{ path: `secrets.${ref.secret}`, message: problem, in: "body" as const }];
  });
  if (issues.length > 0) throw validationError(issues);
}
