import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "../generated/api-types";

// The typed client over the generated OpenAPI types: a route or schema change that the CLI does not follow fails to
// compile once `npm run openapi:client` has regenerated them.
// JSON answers are typed; a text answer (CSV, a log download, YAML) is asked for with parseAs: "text".
export type ApiClient = Client<paths, "application/json">;
export type Schemas = components["schemas"];
type ErrorBody = Schemas["Error"]["error"];

export interface ApiTarget {
  url: string;
  token: string;
}

export function createApiClient(target: ApiTarget, fetch: (request: Request) => Promise<Response>): ApiClient {
  return createClient<paths, "application/json">({
    baseUrl: target.url.replace(/\/+$/, ""),
    headers: { authorization: `Bearer ${target.token}` },
    fetch,
  });
}

/** The API answered with an error: its status, code, message, fields and hint, as the API gave them. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly request: string,
    readonly body: ErrorBody | null,
  ) {
    super(body?.message ?? `${request} answered ${status}`);
  }
}

/** The API could not be reached at all (refused connection, unknown host, reset). */
export class ApiUnreachableError extends Error {}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's body, or the API's error as an ApiRequestError; a request that never got an answer is ApiUnreachableError. */
export async function answer<T>(pending: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await pending;
  } catch (error) {
    throw new ApiUnreachableError(unreachableMessage(error));
  }
  const { response } = result;
  if (!response.ok) {
    throw new ApiRequestError(response.status, `${new URL(response.url || "http://unknown").pathname}`, errorBody(result.error));
  }
  return result.data as T;
}

function errorBody(error: unknown): ErrorBody | null {
  const body = (error as { error?: Partial<ErrorBody> } | null)?.error;
  if (!body || typeof body.code !== "string" || typeof body.message !== "string") return null;
  return { ...body, code: body.code, message: body.message, details: Array.isArray(body.details) ? body.details : [] };
}

// fetch() hides the reason in `cause` (ECONNREFUSED, ENOTFOUND…).
function unreachableMessage(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return reason;
}

/** What a person reads on standard error: the status and code, the message, each field at fault, the hint. */
export function describeError(error: ApiRequestError): string {
  const body = error.body;
  if (!body) return `Error: ${error.request} answered HTTP ${error.status} without the API's error body (is the URL the worker's?).\n`;
  const lines = [`Error: ${body.message} (HTTP ${error.status}, ${body.code})`];
  for (const detail of body.details) lines.push(`  ${detail.path || "(request)"}${detail.in ? ` (${detail.in})` : ""}: ${detail.message}`);
  if (body.hint) lines.push(`Hint: ${body.hint}`);
  return lines.join("\n") + "\n";
}
