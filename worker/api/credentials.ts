import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { credentialSecretIssue, jwtAlgorithmOf, sealCredentialSecret, usesPrivateKey } from "../auth/credential-secrets";
import { decryptSecret, SECRET_BINDINGS, StoredSecretError } from "../auth/secrets";
import { outboundUrlPolicy } from "../auth/url-safety";
import type { Env } from "../env";
import {
  deleteCredential,
  getCredential,
  type CredentialUser,
  getStoredCredential,
  insertCredential,
  listCredentials,
  updateCredential,
  type CredentialWrite,
} from "../ledger/credentials";
import { credentialConnectionIds, listConnectionSummaries, writeConnectionOrder } from "../ledger/connections";
import { newId } from "../ledger/ids";
import { decodeCursor, encodeCursor, isStringTuple1 } from "./cursor";
import { ApiError, nameTakenError, notFoundError, validationError, zodIssues, type FieldIssue } from "./errors";
import { outboundUrlIssues } from "./outbound-url-checks";
import { credentialTestAuth } from "./credential-test-auth";
import { credentialConnect } from "./credential-connect";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema, jsonContent, listQuerySchema } from "../schemas/common";
import { connectionOrderSchema, reorderBodySchema } from "../schemas/connections";
import {
  CREDENTIAL_CONFIG_SCHEMAS,
  SCHEMES_WITH_SECRET,
  createCredentialBodySchema,
  credentialPageSchema,
  credentialSchema,
  updateCredentialBodySchema,
  type CredentialConfig,
} from "../schemas/credentials";
import type { CredentialScheme } from "../engine/credential-auth";
import { privateKeyIssue } from "../engine/jwt-assertion";

export const credentials = createRouter();
const TAGS = ["Credentials"];
credentials.route("/", credentialTestAuth);
credentials.route("/", credentialConnect);

const listRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listCredentials",
  path: "/",
  tags: TAGS,
  summary: "List credentials",
  description: "By name. Secrets are never returned; `secret_hint` shows their last characters.",
  request: { query: listQuerySchema },
  responses: { 200: jsonContent(credentialPageSchema, "A page of credentials."), ...errorResponses(400) },
});

const getRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getCredential",
  path: "/{id}",
  tags: TAGS,
  summary: "Get a credential",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(credentialSchema, "The credential."), ...errorResponses(404) },
});

const createCredentialRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "createCredential",
  path: "/",
  tags: TAGS,
  summary: "Create a credential",
  description: "The secret is encrypted at rest (AES-GCM) and never returned.",
  request: { body: { required: true, content: { "application/json": { schema: createCredentialBodySchema } } } },
  responses: {
    201: jsonContent(credentialSchema, "Created."),
    ...errorResponses(400, 409, 415, 503),
  },
});

const updateRoute = createRoute({
  ...minRole("admin"),
  method: "patch",
  operationId: "updateCredential",
  path: "/{id}",
  tags: TAGS,
  summary: "Change a credential",
  description: "Rename, change settings, replace the secret or switch scheme. Connections use the change from their next request.",
  request: {
    params: idParamsSchema,
    body: { required: true, content: { "application/json": { schema: updateCredentialBodySchema } } },
  },
  responses: {
    200: jsonContent(credentialSchema, "The changed credential."),
    ...errorResponses(400, 404, 409, 415, 503),
  },
});

const deleteRoute = createRoute({
  ...minRole("admin"),
  method: "delete",
  operationId: "deleteCredential",
  path: "/{id}",
  tags: TAGS,
  summary: "Delete a credential",
  description:
    "Refused with 409 `credential_in_use` while connections belong to it; the message names them and `details` has one entry per connection (the first 20).",
  request: { params: idParamsSchema },
  responses: { 204: { description: "Deleted." }, ...errorResponses(404, 409) },
});

const reorderRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "setConnectionOrder",
  path: "/{id}/connections/order",
  tags: ["Connections"],
  summary: "Set the execution order of a credential's connections",
  description: "List every connection of the credential exactly once; positions become 1..n in that order, in one batch.",
  request: {
    params: idParamsSchema,
    body: { required: true, content: { "application/json": { schema: reorderBodySchema } } },
  },
  responses: { 200: jsonContent(connectionOrderSchema, "The connections in their new order."), ...errorResponses(400, 404, 415) },
});

credentials.openapi(listRoute, async (c) => {
  const { cursor, limit } = c.req.valid("query");
  const after = decodeCursor(cursor, isStringTuple1);
  const page = await listCredentials(c.env.LEDGER, { afterName: after?.[0] ?? null, limit });
  return c.json({ data: page.data, next_cursor: page.hasMore && page.lastName !== null ? encodeCursor([page.lastName]) : null }, 200);
});

credentials.openapi(getRoute, async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await requireCredential(c.env, id), 200);
});

credentials.openapi(createCredentialRoute, async (c) => {
  const body = c.req.valid("json");
  const config = (body.config ?? {}) as CredentialConfig;
  checkConfigUrls(c.env, body.scheme, config);
  const given = secretOf(body);
  if (given !== undefined) await checkSecret(body.scheme, config, given);
  const id = newId("cred");
  const refreshToken = "refresh_token" in body && typeof body.refresh_token === "string" ? body.refresh_token : undefined;
  const write: CredentialWrite = {
    name: body.name,
    scheme: body.scheme,
    config,
    secret: given === undefined ? null : await sealCredentialSecret(c.env, id, body.scheme, config, given),
    refresh: refreshToken === undefined ? null : await sealCredentialSecret(c.env, id, body.scheme, config, refreshToken, "refresh_token"),
  };
  const outcome = await insertCredential(c.env.LEDGER, id, write, Date.now());
  if (outcome.status !== "ok") throw nameTaken(body.name);
  return c.json(outcome.credential, 201);
});

credentials.openapi(updateRoute, async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const stored = await getStoredCredential(c.env.LEDGER, id);
  if (!stored) throw notFound(id);

  const scheme = body.scheme ?? stored.scheme;
  const schemeChanged = scheme !== stored.scheme;
  // Same scheme: merge settings; a new scheme starts from the given settings only.
  const rawConfig = schemeChanged ? (body.config ?? {}) : { ...stored.config, ...body.config };
  const parsed = CREDENTIAL_CONFIG_SCHEMAS[scheme].safeParse(rawConfig);
  if (!parsed.success) {
    throw validationError(zodIssues(parsed.error, "body").map((issue) => ({ ...issue, path: prefixPath("config", issue.path) })));
  }
  const config = parsed.data as CredentialConfig;
  checkConfigUrls(c.env, scheme, config);

  let secret: CredentialWrite["secret"];
  if (!SCHEMES_WITH_SECRET[scheme]) {
    if (body.secret !== undefined) throw validationError([{ path: "secret", message: `scheme ${scheme} has no secret`, in: "body" }]);
    secret = null;
  } else if (body.secret !== undefined) {
    await checkSecret(scheme, config, body.secret);
    secret = await sealCredentialSecret(c.env, id, scheme, config, body.secret);
  } else if (schemeChanged || stored.secretCiphertext === null) {
    throw validationError([{ path: "secret", message: `scheme ${scheme} needs a secret`, in: "body" }]);
  } else if (usesPrivateKey(scheme, stored.config) !== usesPrivateKey(scheme, config)) {
    // The stored secret is of the other kind: a client secret cannot sign, and a private key is no client secret.
    const message = usesPrivateKey(scheme, config)
      ? "client authentication private_key_jwt needs the client's private key"
      : "the stored secret is a private key: give the client secret";
    throw validationError([{ path: "secret", message, in: "body" }]);
  } else {
    const moved = movedTokenHost(stored.config, config);
    if (moved !== null) throw validationError([{ path: "secret", message: moved, in: "body" }]);
    if (usesPrivateKey(scheme, config) && jwtAlgorithmOf(stored.config) !== jwtAlgorithmOf(config)) {
      // The stored key must be able to sign with the new algorithm, or every run would fail at its first token.
      const key = await decryptSecret(c.env, stored.secretCiphertext, SECRET_BINDINGS.credential(id)).catch((error: unknown) => {
        if (!(error instanceof StoredSecretError)) throw error;
        throw validationError([{ path: "secret", message: "the stored private key cannot be decrypted: give the key again", in: "body" }]);
      });
      const issue = await privateKeyIssue(key, jwtAlgorithmOf(config));
      if (issue !== null) throw validationError([{ path: "config.algorithm", message: `the stored private key ${issue}`, in: "body" }]);
    }
  }

  let refresh: CredentialWrite["refresh"];
  if (body.refresh_token !== undefined) {
    if (scheme !== "oauth2_refresh_token") throw validationError([{ path: "refresh_token", message: `scheme ${scheme} has no refresh token`, in: "body" }]);
    refresh = await sealCredentialSecret(c.env, id, scheme, config, body.refresh_token, "refresh_token");
  } else if (scheme === "oauth2_refresh_token" && !schemeChanged && stored.refreshCiphertext !== null) {
    // The refresh token goes to the token URL as the client secret does.
    const moved = movedTokenHost(stored.config, config);
    if (moved !== null) throw validationError([{ path: "refresh_token", message: moved.replace("the secret", "the refresh token"), in: "body" }]);
  }

  const outcome = await updateCredential(
    c.env.LEDGER,
    id,
    { name: body.name ?? stored.name, scheme, config, ...(secret === undefined ? {} : { secret }), ...(refresh === undefined ? {} : { refresh }) },
    Date.now(),
  );
  if (outcome.status === "not_found") throw notFound(id);
  if (outcome.status === "name_taken") throw nameTaken(body.name ?? stored.name);
  return c.json(outcome.credential, 200);
});

credentials.openapi(deleteRoute, async (c) => {
  const { id } = c.req.valid("param");
  const outcome = await deleteCredential(c.env.LEDGER, id);
  switch (outcome.status) {
    case "deleted":
      return c.body(null, 204);
    case "not_found":
      throw notFound(id);
    case "in_use":
      throw inUse(outcome.connections, outcome.total);
  }
});

credentials.openapi(reorderRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { connection_ids: wanted } = c.req.valid("json");
  await requireCredential(c.env, id);
  const current = await credentialConnectionIds(c.env.LEDGER, id);
  const issues = orderIssues(current, wanted);
  if (issues.length > 0) throw validationError(issues);
  await writeConnectionOrder(c.env.LEDGER, id, wanted);
  return c.json({ data: await listConnectionSummaries(c.env.LEDGER, { credentialId: id }) }, 200);
});

function orderIssues(current: string[], wanted: string[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const known = new Set(current);
  const seen = new Set<string>();
  wanted.forEach((id, index) => {
    if (seen.has(id)) issues.push({ path: `connection_ids[${index}]`, message: `"${id}" is listed twice`, in: "body" });
    else if (!known.has(id)) issues.push({ path: `connection_ids[${index}]`, message: `"${id}" is not a connection of this credential`, in: "body" });
    seen.add(id);
  });
  const missing = current.filter((id) => !seen.has(id));
  if (missing.length > 0) {
    issues.push({
      path: "connection_ids",
      message: `missing ${missing.map((id) => `"${id}"`).join(", ")}: list every connection of the credential`,
      in: "body",
    });
  }
  return issues;
}

async function requireCredential(env: Env, id: string) {
  const credential = await getCredential(env.LEDGER, id);
  if (!credential) throw notFound(id);
  return credential;
}

async function checkSecret(scheme: CredentialScheme, config: CredentialConfig, secret: string): Promise<void> {
  const issue = await credentialSecretIssue(scheme, config, secret);
  if (issue !== null) throw validationError([{ path: "secret", message: issue, in: "body" }]);
}

function checkConfigUrls(env: Env, scheme: CredentialScheme, config: CredentialConfig): void {
  // The authorize URL is where a person's browser is sent with the client id: held to the same rules.
  const urls: Array<[string, string]> = [];
  for (const field of ["token_url", "authorize_url", "sts_url"] as const) {
    const url = (config as Record<string, unknown>)[field];
    if (typeof url === "string" && url !== "") urls.push([`config.${field}`, url]);
  }
  const issues = outboundUrlIssues(urls, outboundUrlPolicy(env));
  if (issues.length > 0) throw validationError(issues);
}

// The client secret is sent to the token URL, so pointing it at another host (scheme, host or port) without
// giving the secret again would let whoever can edit settings, but never read secrets, collect it there. So is an
// AssumeRole signed with the secret access key to the STS endpoint (replayed to AWS within 15 minutes, it gives the
// role's keys). Other settings (client_id, scope, an API key's header name) change what is sent, not where.
function movedTokenHost(before: Record<string, unknown>, after: CredentialConfig): string | null {
  for (const [field, words] of [
    ["token_url", "the token URL"],
    ["sts_url", "the STS endpoint"],
  ] as const) {
    // Left out or empty, the STS endpoint is AWS's own for the region.
    const next = (after as Record<string, unknown>)[field] || undefined;
    const was = before[field] || undefined;
    if (typeof was !== "string" && typeof next !== "string") continue;
    const from = typeof was === "string" ? originOf(was) : "AWS";
    const to = typeof next === "string" ? originOf(next) : "AWS";
    if (from === to || (field === "token_url" && (typeof was !== "string" || typeof next !== "string"))) continue;
    return `${words} moves to another host (${from ?? "?"} → ${to ?? "?"}); send the secret again to confirm it may go there`;
  }
  return null;
}

function originOf(url: string): string | null {
  return URL.parse(url)?.origin ?? null;
}

// Only the schemes with a secret have the field; the schema already required it there.
function secretOf(body: object): string | undefined {
  return "secret" in body && typeof body.secret === "string" ? body.secret : undefined;
}

function prefixPath(prefix: string, path: string): string {
  return path === "" ? prefix : path.startsWith("[") ? `${prefix}${path}` : `${prefix}.${path}`;
}

function notFound(id: string): ApiError {
  return notFoundError("credential", id);
}

function nameTaken(name: string): ApiError {
  return nameTakenError(`A credential named "${name}" already exists.`);
}

// Names the connections, so the person knows what to move or delete first.
function inUse(connections: CredentialUser[], total: number): ApiError {
  const names = connections.map((connection) => `"${connection.name}"`).join(", ");
  const more = total > connections.length ? ` and ${total - connections.length} more` : "";
  const count = `${total} connection${total === 1 ? "" : "s"}`;
  return new ApiError(
    409,
    "credential_in_use",
    `The credential is used by ${count}: ${names}${more}. Delete ${total === 1 ? "that connection" : "those connections"} first, or edit the credential instead.`,
    {
      details: connections.map((connection) => ({ path: "connections", message: `used by "${connection.name}" (${connection.id})` })),
      meta: { connections: total },
    },
  );
}
