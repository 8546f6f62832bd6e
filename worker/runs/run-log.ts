import type { ConcurrencyNote, Pushback } from "../engine/adaptive-concurrency";
import type { JobCounters } from "../engine/counters";
import type { JobDiagnosis } from "../engine/errors";
import type { HttpEvent } from "../engine/http-client";
import type { JobCounterValues, JobError } from "../ledger/run-rows";
import type { RunMode, RunType } from "../schemas/vocabulary";
import type { RecordOutcome } from "./slice-executor";

// Every sentence a run writes to its log, worded in one place. Pure: the caller decides when to write it.

export type LogLevel = "INFO" | "WARN" | "ERROR" | "DEBUG";

export interface LogNote {
  level: LogLevel;
  message: string;
  serial: string | null;
}

export interface JobStartFacts {
  mode: RunMode;
  type: RunType;
  serial: string | null;
  reset: boolean;
  version: number;
  // The cursor an incremental run reads from; null for a complete run.
  cursor: string | null;
  // Records in scope when known before reading the source (not for an HTTP source).
  inScope: number | null;
}

export function jobStarted(facts: JobStartFacts): string {
  const mode = facts.mode === "dry" ? "Dry" : "Live";
  if (facts.type === "single") return `${mode} single run of ${facts.serial ?? ""} started (contract version ${facts.version})`;
  const scope =
    facts.cursor === null ? (facts.reset ? "complete reconciliation (reset)" : "complete") : `incremental since ${facts.cursor} plus last run's failed serials`;
  const count = facts.inScope === null ? "" : `: ${facts.inScope} records in scope`;
  return `${mode} full run started, ${scope}${count} (contract version ${facts.version})`;
}

// The retries, rate-limit waits and token refreshes a slice met; a response is counted, not logged.
export function httpEventLine(event: HttpEvent): string | null {
  switch (event.type) {
    case "request":
    case "response":
    case "concurrency":
      return null;
    case "retry": {
      const what = event.status === null ? event.reason.replace("_", " ") : `status ${event.status}`;
      const asked = event.asked === undefined ? "" : ` as ${event.asked} asked`;
      return `Retrying ${event.method} ${pathOf(event.url)} after ${what} (attempt ${event.attempt}), waiting ${event.delay_ms} ms${asked}`;
    }
    case "rate_limited": {
      const asked = event.asked === null ? "" : ` (${event.asked})`;
      return `Rate limited (429) on ${event.method} ${pathOf(event.url)}: waiting ${event.delay_ms} ms${asked}`;
    }
    case "auth_refresh":
      return `Access token rejected (401) on ${event.method} ${pathOf(event.url)}; fetching a new token and retrying once`;
  }
}

const PUSHBACK_TEXT: Record<Pushback, (note: ConcurrencyNote) => string> = {
  rate_limited: () => "the destination answered 429 Too Many Requests",
  unavailable: () => "the destination answered 503 Service Unavailable",
  timeout: () => "a request timed out",
  slow: (note) => `responses slowed to ${note.slow_ms ?? "?"} ms against a usual ${note.usual_ms ?? "?"} ms`,
};

// The adaptive concurrency's changes since its last line (at most one line per LOG_INTERVAL_MS).
export function concurrencyChanged(note: ConcurrencyNote): LogNote {
  const of = `${note.to} of ${note.max}`;
  const dipped = note.lowest < Math.min(note.from, note.to);
  const why = note.pushback === null ? null : PUSHBACK_TEXT[note.pushback](note);
  let message: string;
  if (note.to > note.from) {
    message = `Concurrency raised to ${of}: the destination kept up` + (why === null || !dipped ? "" : ` (down to ${note.lowest} in between: ${why})`);
  } else if (note.to < note.from) {
    message = `Concurrency lowered to ${of}${dipped ? ` (down to ${note.lowest} in between)` : ""}: ${why ?? "the destination pushed back"}; throttling requests`;
  } else {
    message = `Concurrency back at ${of} after going down to ${note.lowest}: ${why ?? "the destination pushed back"}`;
  }
  return { level: note.level, message, serial: null };
}

export function moreHttpEvents(suppressed: number): string {
  return `…and ${suppressed} more retries, rate-limit waits or token refreshes in this slice`;
}

export function listingRepeats(duplicates: readonly string[]): string {
  return `Destination listing repeats ${duplicates.length} serial(s) on one page, e.g. ${duplicates[0]}; the last one is used`;
}

export function listingUnreadable(unreadable: ReadonlyArray<{ reason: string }>): string {
  return `Destination listing: ${unreadable.length} record(s) without a readable serial, e.g. ${unreadable[0]!.reason}`;
}

export function listingRead(indexed: number): string {
  return `Destination listing read: ${indexed} records indexed by serial`;
}

export const RELISTING_AFTER_INTERRUPTION = "Reading the destination listing again to check the writes sent before the interruption";

// A single run's serial that no source holds is Missing Source; the log says so before anything is looked up.
export function notInSource(serial: string): LogNote {
  return { level: "WARN", message: `${serial} is not in the source: nothing to look up or write`, serial };
}

export function plannedNotInSource(serial: string): LogNote {
  return { level: "WARN", message: `${serial} is planned but no longer in the source: it is not written`, serial };
}

export function planLoaded(count: number, dryJobId: string): string {
  return `Applying the plan of dry job ${dryJobId}: ${count} planned ${count === 1 ? "write" : "writes"}; no other serial is read for writing or written`;
}

export function sourcePageSkipped(url: string, unreadable: ReadonlyArray<{ reason: string }>): LogNote {
  return { level: "WARN", message: `Source page ${url}: ${unreadable.length} record(s) skipped, e.g. ${unreadable[0]!.reason}`, serial: null };
}

export function writeConfirmed(serial: string): string {
  return `${serial}: write confirmed after restart (the destination holds the values sent before the interruption)`;
}

// A bulk batch the destination rejected for its content, sent again as two halves.
export function batchSplit(size: number, status: number, first: number, second: number): string {
  return `Batch of ${size} rejected (${status}): split into ${first} + ${second}`;
}

// The error an outcome is stored with: the message, then the hint for the next action.
export function outcomeError(outcome: Pick<RecordOutcome, "error" | "hint">): string | null {
  return outcome.error === null ? null : outcome.hint === null ? outcome.error : `${outcome.error} — Hint: ${outcome.hint}`;
}

export function recordFailed(serial: string, error: string | null): string {
  return `${serial} failed: ${error ?? "unknown error"}`;
}

export function verifyMismatch(serial: string, hint: string | null): string {
  return `${serial} verify mismatch: ${hint ?? "the destination accepted the write but stored a different value"}`;
}

export function readingBackListing(waiting: number): string {
  return `Reading the destination listing again to verify ${waiting} written record(s)`;
}

export function readBackListingFailed(waiting: number, error: string): string {
  return `The destination listing could not be read again to verify the writes: ${waiting} written record(s) counted Updated, not verified: ${error}`;
}

export const FAILURES_NO_LONGER_LOGGED = "Further failed or mismatched records are not logged one by one: filter the Records tab by Failed or Verify Mismatch";

export function outcomeDetail(outcome: RecordOutcome): string {
  const changes = outcome.changes
    .map((c) => `${c.field}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}${c.written ? "" : " (not written)"}`)
    .join(", ");
  const status = outcome.http_status === null ? "" : ` (HTTP ${outcome.http_status})`;
  const detail = changes !== "" ? ` — ${changes}` : outcome.reason !== null ? ` — ${outcome.reason}` : "";
  return `${outcome.serial}: ${outcome.action}${status}${detail}`;
}

// Read-back and apply outcomes, named only when a job had them so a plain live job reads as before.
function liveExtras(counters: Pick<JobCounters, "verified" | "verify_mismatch" | "drifted">): string {
  const parts: string[] = [];
  if (counters.verified > 0) parts.push(`${counters.verified} verified`);
  if (counters.verify_mismatch > 0) parts.push(`${counters.verify_mismatch} verify mismatch`);
  if (counters.drifted > 0) parts.push(`${counters.drifted} drifted`);
  return parts.map((part) => `, ${part}`).join("");
}

export function jobFinished(durationMs: number, counters: JobCounters & Pick<JobCounterValues, "in_scope">, mode: RunMode): string {
  const written = mode === "dry" ? `${counters.would_update} would update` : `${counters.updated} updated${liveExtras(counters)}`;
  const skipped = counters.skipped_rule + counters.skipped_no_change;
  return (
    `Finished in ${(durationMs / 1000).toFixed(1)} s: ${counters.processed} of ${counters.in_scope} processed — ${written}, ${skipped} skipped, ` +
    `${counters.missing_source} missing source, ${counters.missing_destination} missing destination, ${counters.failed} failed`
  );
}

export function diagnosed(diagnosis: Pick<JobDiagnosis, "message" | "hint">): string {
  return `${diagnosis.message}. Hint: ${diagnosis.hint}`;
}

export function jobFailed(processed: number, error: Pick<JobError, "message" | "hint">): string {
  return `Job failed after ${processed} record(s): ${error.message}. Hint: ${error.hint}`;
}

export function jobCanceled(counters: Pick<JobCounterValues, "processed" | "in_scope">): string {
  return `Canceled after ${counters.processed} of ${counters.in_scope} records; results so far are kept`;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "(invalid URL)";
  }
}
