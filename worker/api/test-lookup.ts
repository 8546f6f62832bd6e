import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { outboundUrlPolicy, unsafeUrlError } from "../auth/url-safety";
import { createCredentialHeaders, type CredentialAuth } from "../engine/credential-auth";
import { EngineError } from "../engine/errors";
import { createSystemRuntime } from "../engine/runtime";
import { runTestLookup, runTestSourceLookup, type TestLookupReport } from "../engine/test-lookup";
import { getConnection } from "../ledger/connections";
import { readDatasetRecord } from "../ledger/run-scope";
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
  summary: "Look one serial up through the fetch contract, or in the source",
  description:
    "Calls the destination for real, with the credential's auth, and shows the request, the raw response (truncated, secrets masked) " +
    "and the record the contract resolved. List mode reads pages until the serial turns up (at most 20). Nothing is written. " +
    'With `contract: "source"` it reads the source the same way: an HTTP source page by page (at most 20), a dataset from its stored records.',
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
  const { serial, contract: side } = c.req.valid("json");
  const connection = await getConnection(c.env.LEDGER, id);
  if (!connection) throw notFoundError("connection", id);
  const { fetch: contract, source, limits } = connection.config;
  if (side === "source" && source.kind === "dataset") return c.json(await datasetLookup(c.env.LEDGER, id, serial), 200);

  // Stored contracts are checked again: the policy may be stricter here than where they were saved.
  const [label, url] =
    side === "source" && source.kind === "http"
      ? ["source contract URL", source.url]
      : ["fetch contract URL", contract.mode === "per_serial" ? contract.url_template : contract.url];
  const unsafe = unsafeUrlError([[label, url]], outboundUrlPolicy(c.env));
  if (unsafe !== null) return c.json(failed(unsafe.code, unsafe.message, `Change the ${label} to an https address`), 200);

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
  const options = {
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
  };
  const report =
    side === "source" && source.kind === "http" ? await runTestSourceLookup({ ...options, contract: source }) : await runTestLookup({ ...options, contract });
  return c.json(report, 200);
});

// A dataset's records are stored here already: no request, the record as a run would read it.
async function datasetLookup(db: D1Database, connectionId: string, serial: string): Promise<TestLookupReport> {
  const row = await readDatasetRecord(db, connectionId, serial);
  const base = { request: null, requests: 0, raw_response: null, raw_response_truncated: false } as const;
  if (row === null)
    return { ...base, outcome: "missing", record: null, missing_reason: "not_in_source", detail: "serial is not among the dataset's stored records" };
  return { ...base, outcome: "found", record: JSON.parse(row.record_json) as unknown };
}

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
