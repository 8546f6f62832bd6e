import type { RunListFilters } from "./api";
import type { JobSummary, RunMode, RunStatus, RunSummary, RunType } from "./run-types";
import { keysOf } from "../../../shared/lang";
import { STATUSES } from "./statuses";

// The Outbound Sync Jobs filters live in the URL, so a filtered view can be bookmarked and back/forward restore it.

// Types and modes are the worker's vocabulary; the lists the filters offer come from these complete tables.
export const TYPE_LABEL: Record<RunType, string> = { full: "Full", single: "Single" };
export const MODE_LABEL: Record<RunMode, string> = { dry: "Dry", live: "Live" };
export const RUN_TYPES: readonly RunType[] = keysOf(TYPE_LABEL);
export const RUN_MODES: readonly RunMode[] = keysOf(MODE_LABEL);

// Relative windows stay relative in a bookmark: "since=24h" means the last day whenever it is opened.
export const TIME_RANGES = ["1h", "24h", "7d", "30d"] as const;
export type TimeRange = (typeof TIME_RANGES)[number];
export const TIME_RANGE_LABEL: Record<TimeRange, string> = {
  "1h": "Last hour",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
};
const TIME_RANGE_MS: Record<TimeRange, number> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};

export interface RunFilters {
  status: RunStatus | null;
  connection: string | null;
  credential: string | null;
  type: RunType | null;
  mode: RunMode | null;
  // A preset ("24h") or an ISO time, as the API takes it.
  since: string | null;
  until: string | null;
  serial: string | null;
}

// The order keys appear in the URL, so one view has one address.
export const RUN_FILTER_KEYS = [
  "status",
  "credential",
  "connection",
  "type",
  "mode",
  "since",
  "until",
  "serial",
] as const satisfies readonly (keyof RunFilters)[];

export const EMPTY_FILTERS: RunFilters = {
  status: null,
  connection: null,
  credential: null,
  type: null,
  mode: null,
  since: null,
  until: null,
  serial: null,
};

const MAX_TEXT = 200;

function oneOf<T extends string>(allowed: readonly T[], value: string | null): T | null {
  return allowed.find((candidate) => candidate === value) ?? null;
}

function text(value: string | null): string | null {
  const trimmed = value?.trim() ?? "";
  return trimmed === "" ? null : trimmed.slice(0, MAX_TEXT);
}

const TIME_TEXT = /^(\d{1,5}\s*[a-z]+|\d{4}-\d{2}-\d{2}[\w:.+-]*)$/i;

function timeText(value: string | null): string | null {
  const trimmed = text(value);
  return trimmed !== null && TIME_TEXT.test(trimmed) ? trimmed : null;
}

// Unknown or malformed values are dropped: a hand-edited URL still opens a sensible view.
export function parseRunFilters(search: string): RunFilters {
  const params = new URLSearchParams(search);
  return {
    status: oneOf(STATUSES, params.get("status")),
    connection: text(params.get("connection")),
    credential: text(params.get("credential")),
    type: oneOf(RUN_TYPES, params.get("type")),
    mode: oneOf(RUN_MODES, params.get("mode")),
    since: timeText(params.get("since")),
    until: timeText(params.get("until")),
    serial: text(params.get("serial")),
  };
}

export function runFiltersSearch(filters: RunFilters): string {
  const params = new URLSearchParams();
  for (const key of RUN_FILTER_KEYS) {
    const value = filters[key];
    if (value !== null && value !== "") params.set(key, value);
  }
  const query = params.toString();
  return query === "" ? "" : `?${query}`;
}

// `/jobs?run=<id>` (dashboardPaths.run) opens one run: the address alerts, MCP and the CLI link a run by.
export function linkedRunId(search: string): string | null {
  return text(new URLSearchParams(search).get("run"));
}

export function sameFilters(a: RunFilters, b: RunFilters): boolean {
  return RUN_FILTER_KEYS.every((key) => a[key] === b[key]);
}

export function activeFilterCount(filters: RunFilters): number {
  return RUN_FILTER_KEYS.filter((key) => filters[key] !== null).length;
}

export function toRunListQuery(filters: RunFilters): RunListFilters {
  const query: RunListFilters = {};
  if (filters.status) query.status = filters.status;
  if (filters.connection) query.connection = filters.connection;
  if (filters.credential) query.credential = filters.credential;
  if (filters.type) query.type = filters.type;
  if (filters.mode) query.mode = filters.mode;
  if (filters.since) query.since = filters.since;
  if (filters.until) query.until = filters.until;
  if (filters.serial) query.serial = filters.serial;
  return query;
}

function boundMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const preset = oneOf(TIME_RANGES, value);
  if (preset) return now - TIME_RANGE_MS[preset];
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

// For runs the live feed brings while the list is open: does the server's filter let this one in?
// A serial filter also matches full runs with an outcome for it, which only the server knows; those wait for a reload.
export function runMatchesFilters(run: RunSummary, jobs: readonly JobSummary[] | null, filters: RunFilters, now: number): boolean {
  if (filters.status && run.status !== filters.status) return false;
  if (filters.credential && run.credential_id !== filters.credential) return false;
  if (filters.type && run.type !== filters.type) return false;
  if (filters.mode && run.mode !== filters.mode) return false;
  if (filters.serial && run.serial !== filters.serial) return false;
  if (filters.connection) {
    const chosen = run.connection_ids?.includes(filters.connection) ?? false;
    const ran = jobs?.some((job) => job.connection_id === filters.connection) ?? false;
    if (!chosen && !ran) return false;
  }
  const created = Date.parse(run.created_at);
  const since = boundMs(filters.since, now);
  const until = boundMs(filters.until, now);
  if (since !== null && created < since) return false;
  if (until !== null && created >= until) return false;
  return true;
}
