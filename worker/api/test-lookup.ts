import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { outboundUrlPolicy, unsafeUrlError } from "../auth/url-safety";
import { createCredentialHeaders, type CredentialAuth } from "../engine/credential-auth";
import { EngineError } from "../engine/errors";
import { createSystemRuntime } from "../engine/runtime";
import { runTestLookup, type TestLookupReport } from "../engine/test-lookup";
import { getConnection } from "../ledger/connections";
import { outboundFetch } from "../outbound";
import { loadCredentialAuth } from "../runs/credential-loader";
import { notFoundError } from "./errors";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema, jsonContent } from "../schemas/common";
import { testLookupBodySchema, testLookupResultSchema } from "../schemas/test-lookup";

export const testLookup = createRouter();

// A person is waiting on the answer: fail fast rather than retry as patiently as a run does.
const TEST_LOOKUP_LIMITS = { max_retries: 1, max_timeout_ms: 15_000 } as const;

const testLookupRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "testLookup",
  path: "/{id}/test-lookup",
  tags: ["Connections"],
  summary: "Look one serial up through the fetch contract",
  description:
    "Calls the destination for real, with the credential's auth, and shows the request, the raw response (truncated, secrets masked) " +
    "and the record the contract resolved. List mode reads pages until the serial turns up (at most 20). Nothing is written.",
  request: {
    params: idParamsSchema,
    body: { required: true, content: { "application/json": { schema: testLookupBodySchema } } },
  },
  responses: {
    200: jsonContent(testLookupResultSchema, "The lookup ran; `outcome` says whether the destination record was found."),
    ...errorResponses(400, 404, 409, 415, 503),
  },
});

testLookup.openapi(testLookupRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { serial } = c.req.valid("json");
  const connection = await getConnection(c.env.LEDGER, id);
  if (!connection) throw notFoundError("connection", id);
  const { fetch: contract, limits } = connection.config;

  // Stored contracts are checked again: the policy may be stricter here than where they were saved.
  const url = contract.mode === "per_serial" ? contract.url_template : contract.url;
  const unsafe = unsafeUrlError([["fetch contract URL", url]], outboundUrlPolicy(c.env));
  if (unsafe !== null) return c.json(failed(unsafe.code, unsafe.message, "Change the fetch contract URL to an https address of the destination"), 200);

  // The same loader a run uses, so a credential that would fail a run fails here the same way.
  let credential: CredentialAuth;
  try {
    credential = await loadCredentialAuth(c.env, connection.credential_id);
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    return c.json(failed(error.code, error.message, error.hint), 200);
  }
  const runtime = createSystemRuntime({ fetch: outboundFetch(c.env) });
  const auth = createCredentialHeaders(credential, { runtime });
  const report = await runTestLookup({
    contract,
    serial,
    runtime,
    auth,
    limits: {
      requests_per_second: limits.requests_per_second,
      concurrency: 1,
      timeout_ms: Math.min(limits.timeout_ms, TEST_LOOKUP_LIMITS.max_timeout_ms),
      retry_attempts: Math.min(limits.retry_attempts, TEST_LOOKUP_LIMITS.max_retries),
      max_response_bytes: limits.max_response_bytes,
    },
    signal: c.req.raw.signal,
  });
  return c.json(report, 200);
});

function failed(code: string, message: string, hint: string): TestLookupReport {
  return {
    outcome: "error",
    request: null,
    requests: 0,
    raw_response: null,
    raw_response_truncated: false,
    record: null,
    error: { code, message, hint, http_status: null },
  };
}
