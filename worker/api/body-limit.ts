import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "./errors";

// JSON and MCP bodies are configuration and commands: 1 MB is far above any real one.
export const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

// Routes that read their own body with a larger limit, counted as it streams: dataset uploads (20 MB,
// DATASET_UPLOAD_LIMITS in schemas/dataset-records.ts, enforced by readUploadText in dataset-upload.ts).
const OWN_LIMIT_ROUTES: ReadonlyArray<{ method: string; path: RegExp }> = [{ method: "POST", path: /^\/api\/connections\/[^/]+\/records\/?$/ }];

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "payload_too_large", `The request body is larger than ${maxBytes / (1024 * 1024)} MB, the limit for API and MCP requests.`, {
    meta: { max_bytes: maxBytes },
  });
}

/**
 * Refuses a body over the limit with 413 before any route reads it. Hono's bodyLimit trusts a
 * Content-Length (the runtime holds the body to it) and otherwise counts the streamed bytes, stopping
 * at the limit, so a chunked body without a length is caught too.
 */
export function requestBodyLimit(maxBytes: number = JSON_BODY_LIMIT_BYTES): MiddlewareHandler {
  const limited = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge(maxBytes);
    },
  });
  return async (c, next) => {
    if (OWN_LIMIT_ROUTES.some((route) => route.method === c.req.method && route.path.test(c.req.path))) return next();
    return limited(c, next);
  };
}
