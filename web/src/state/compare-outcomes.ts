import type { ApiClient, RecordListFilters } from "../lib/api";
import type { JobSummary, RecordAction } from "../lib/run-types";
import { isTerminal } from "../lib/statuses";

// What Compare reads of two jobs of one connection. A fleet's records are mostly unchanged on both sides
// and agree there, so it asks for the other actions first (a finished job's counters say which it holds),
// then looks up the other side of each serial only one side lists, and reads unchanged records in full
// only when the unchanged counts say some serial is unchanged on one side and absent from the other.

export type RecordsClient = Pick<ApiClient, "jobRecords">;

const RECORDS_PAGE = 500;
// Above this many one-sided serials, reading the other side's unchanged records beats one lookup each.
const MAX_LOOKUPS = 100;

type NotableAction = Exclude<RecordAction, "skipped_no_change">;
const NOTABLE: Record<NotableAction, true> = {
  would_update: true,
  updated: true,
  skipped_rule: true,
  missing_source: true,
  missing_destination: true,
  failed: true,
  drifted: true,
  verified: true,
  verify_mismatch: true,
};
const NOTABLE_ACTIONS = Object.keys(NOTABLE) as NotableAction[];

export interface CompareReadOptions {
  signal: AbortSignal;
  /** A guard against walking a huge history in the browser: past it a side is marked truncated. */
  maxRecordsPerJob: number;
  onRead: (records: number) => void;
}

export interface ComparedOutcomes {
  a: Map<string, RecordAction>;
  b: Map<string, RecordAction>;
  truncated: boolean;
}

interface Side {
  job: JobSummary;
  actions: Map<string, RecordAction>;
  read: number;
  unchangedRead: boolean;
  truncated: boolean;
}

export async function readComparedOutcomes(
  client: RecordsClient,
  a: JobSummary | null,
  b: JobSummary | null,
  options: CompareReadOptions,
): Promise<ComparedOutcomes> {
  const sides = [a, b].map((job) => (job === null ? null : { job, actions: new Map(), read: 0, unchangedRead: false, truncated: false })) as Array<Side | null>;
  const [left, right] = sides as [Side | null, Side | null];
  for (const side of sides) {
    if (side === null) continue;
    for (const action of NOTABLE_ACTIONS) {
      if (isTerminal(side.job.status) && side.job[action] === 0) continue;
      await readInto(client, side, { action }, options);
    }
  }
  if (left && right) {
    await lookUpOneSided(client, left, right, options);
    await lookUpOneSided(client, right, left, options);
  }
  if (left && right) {
    if (unchangedMayDiffer(left, right)) {
      await readUnchanged(client, left, options);
      await readUnchanged(client, right, options);
    }
  } else {
    // A connection only one run has: every serial of its job differs, the unchanged ones too.
    for (const side of [left, right]) if (side) await readUnchanged(client, side, options);
  }
  return { a: left?.actions ?? new Map(), b: right?.actions ?? new Map(), truncated: sides.some((side) => side?.truncated === true) };
}

// Unchanged serials neither lookup found: equal counts on finished jobs mean the same serials agree.
function unchangedMayDiffer(side: Side, other: Side): boolean {
  if (!isTerminal(side.job.status) || !isTerminal(other.job.status)) return true;
  return unaccountedUnchanged(side) !== unaccountedUnchanged(other);
}

function unaccountedUnchanged(side: Side): number {
  let known = 0;
  for (const action of side.actions.values()) if (action === "skipped_no_change") known += 1;
  return side.job.skipped_no_change - known;
}

async function lookUpOneSided(client: RecordsClient, side: Side, other: Side, options: CompareReadOptions): Promise<void> {
  const missing = [...side.actions.keys()].filter((serial) => !other.actions.has(serial));
  if (missing.length > MAX_LOOKUPS) {
    await readUnchanged(client, other, options);
    return;
  }
  for (const serial of missing) {
    // The serial itself is the first of the serials it prefixes, so one record answers.
    const page = await client.jobRecords(other.job.id, { serial }, { limit: 1 }, options.signal);
    const found = page.data[0];
    other.read += page.data.length;
    options.onRead(page.data.length);
    if (found?.serial === serial) other.actions.set(serial, found.action);
  }
}

async function readUnchanged(client: RecordsClient, side: Side, options: CompareReadOptions): Promise<void> {
  if (side.unchangedRead) return;
  side.unchangedRead = true;
  await readInto(client, side, { action: "skipped_no_change" }, options);
}

async function readInto(client: RecordsClient, side: Side, filters: RecordListFilters, options: CompareReadOptions): Promise<void> {
  let cursor: string | null = null;
  do {
    if (side.read >= options.maxRecordsPerJob) {
      side.truncated = true;
      return;
    }
    const page = await client.jobRecords(side.job.id, filters, { cursor, limit: RECORDS_PAGE }, options.signal);
    for (const record of page.data) side.actions.set(record.serial, record.action);
    side.read += page.data.length;
    options.onRead(page.data.length);
    cursor = page.next_cursor;
  } while (cursor !== null);
}
