import type { Env } from "../env";
import { listRuns, type RunListFilters } from "../ledger/run-reads";
import { ConflictError, DomainError, InvalidError } from "../domain-errors";
import { ACTIVE_STATUSES, TERMINAL_STATUSES, type RerunScope, type RunStatus } from "../schemas/vocabulary";
import { BULK_PREVIEW_IDS, BULK_RUN_LIMIT, type BulkRunAction, type BulkRunPreview, type BulkRunResult } from "../schemas/bulk-runs";
import { cancelRun, rerun } from "./run-service";

export type BulkFilters = Omit<RunListFilters, "cursor" | "limit">;

const PAGE = 200;
// Runs are canceled or rerun a few at a time: each is a coordinator call and D1 batches of its own.
const CONCURRENCY = 8;
const STATUSES_OF: Record<BulkRunAction, readonly RunStatus[]> = { cancel: ACTIVE_STATUSES, rerun: TERMINAL_STATUSES };

// The runs an action applies to among those matching the filters, newest first, at most BULK_RUN_LIMIT + 1:
// one index walk per status the action takes (cancel: pending, running), so no walk reads finished history.
export async function matchingRunIds(db: D1Database, filters: BulkFilters, action: BulkRunAction): Promise<string[]> {
  const statuses = STATUSES_OF[action].filter((status) => filters.status === undefined || filters.status === status);
  const ids: string[] = [];
  for (const status of statuses) {
    let cursor: string | undefined;
    let found = 0;
    do {
      const page = await listRuns(db, { ...filters, status, cursor, limit: PAGE });
      ids.push(...page.data.map((run) => run.id));
      found += page.data.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && found <= BULK_RUN_LIMIT);
  }
  return ids.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)).slice(0, BULK_RUN_LIMIT + 1);
}

export async function previewBulk(db: D1Database, filters: BulkFilters, action: BulkRunAction): Promise<BulkRunPreview> {
  const ids = await matchingRunIds(db, filters, action);
  return { count: ids.length, over_limit: ids.length > BULK_RUN_LIMIT, run_ids: ids.slice(0, BULK_PREVIEW_IDS) };
}

// The person confirmed a number: when the matching runs number otherwise now, nothing is done.
async function confirmedIds(db: D1Database, filters: BulkFilters, action: BulkRunAction, expectedCount: number): Promise<string[]> {
  const ids = await matchingRunIds(db, filters, action);
  if (ids.length > BULK_RUN_LIMIT) {
    throw new InvalidError("bulk_too_large", `More than ${BULK_RUN_LIMIT} runs match; at most ${BULK_RUN_LIMIT} per call.`, {
      hint: "Narrow the filters (status, credential, connection, time) and try again.",
    });
  }
  if (ids.length !== expectedCount) {
    throw new ConflictError("count_changed", `${ids.length} runs match now, not ${expectedCount}.`, {
      hint: "Runs started or finished meanwhile: preview again and confirm the new count.",
      meta: { count: ids.length, expected_count: expectedCount },
    });
  }
  return ids;
}

export async function bulkCancel(env: Env, filters: BulkFilters, expectedCount: number): Promise<BulkRunResult> {
  const ids = await confirmedIds(env.LEDGER, filters, "cancel", expectedCount);
  const outcomes = await inTurns(ids, async (id) => {
    await cancelRun(env, id);
    return null;
  });
  return resultOf(ids, outcomes);
}

export async function bulkRerun(env: Env, filters: BulkFilters, expectedCount: number, scope: RerunScope, requestedBy: string): Promise<BulkRunResult> {
  const ids = await confirmedIds(env.LEDGER, filters, "rerun", expectedCount);
  const outcomes = await inTurns(ids, async (id) => (await rerun(env, id, scope, requestedBy)).run.id);
  return resultOf(ids, outcomes);
}

type Outcome = { ok: true; value: string | null } | { ok: false; code: string; message: string };

// A run refused on its own (it finished meanwhile, it has no failed connection) is reported, not fatal;
// anything else (D1 down) fails the call.
async function inTurns(ids: readonly string[], act: (id: string) => Promise<string | null>): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array<Outcome>(ids.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ids.length; i = next++) {
      try {
        outcomes[i] = { ok: true, value: await act(ids[i]!) };
      } catch (error) {
        if (!(error instanceof DomainError) || error.kind === "unavailable") throw error;
        outcomes[i] = { ok: false, code: error.code, message: error.message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
  return outcomes;
}

function resultOf(ids: readonly string[], outcomes: readonly Outcome[]): BulkRunResult {
  const result: BulkRunResult = { count: ids.length, done: [], new_run_ids: [], skipped: [] };
  outcomes.forEach((outcome, i) => {
    const id = ids[i]!;
    if (!outcome.ok) result.skipped.push({ run_id: id, code: outcome.code, message: outcome.message });
    else {
      result.done.push(id);
      if (outcome.value !== null) result.new_run_ids.push(outcome.value);
    }
  });
  return result;
}
