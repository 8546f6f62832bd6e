import { EngineError } from "../engine/errors";
import type { CompiledUpdate } from "../engine/payload";

// A write the destination refused for this record's sake (update.record_refusal_statuses): the record fails alone and
// the job goes on, until so many in a row are refused that the request, not the data, must be at fault.

// The codes a 4xx answer is classified under; anything else (auth, method, media type) is the request's.
const REFUSAL_CODES = new Set<EngineError["code"]>(["bad_request", "invalid_content", "not_found", "unexpected_status"]);

export function refusesRecord(update: CompiledUpdate, error: EngineError): error is EngineError & { http_status: number } {
  return error.http_status !== null && REFUSAL_CODES.has(error.code) && update.recordRefusals.has(error.http_status);
}

export function refusedRecordHint(status: number): string {
  if (status === 412) {
    return "The destination record changed after it was read (HTTP 412: the version sent as If-Match no longer holds), so it was not overwritten: the next run reads it again and writes what is still needed";
  }
  return `The destination refused this record (HTTP ${status}) and the job went on: correct the values it names, then rerun the failed serials`;
}

/** The job's failure once `count` records in a row were refused one by one and none accepted. */
export function recordsRefusedError(count: number, last: EngineError): EngineError {
  return new EngineError({
    code: last.code,
    http_status: last.http_status,
    phase: "update",
    message: `${count} records in a row were refused one by one and none accepted; the job stopped. Last: ${last.message}`,
    hint: last.hint,
  });
}
