import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildDeliveryListQuery, buildDueDeliveriesQuery, buildNextDeliveryDueQuery, type DeliveryFilters } from "../../../worker/ledger/alerts-deliveries";
import { buildDueChannelTestsQuery } from "../../../worker/ledger/alerts-channel-tests";
import { buildApiTokenListQuery } from "../../../worker/ledger/api-tokens";
import { buildConnectionListQuery, type ListConnectionsOptions } from "../../../worker/ledger/connections";
import { buildDatasetRecordListQuery } from "../../../worker/ledger/dataset-records";
import {
  buildLatestOutcomeCountQuery,
  buildLatestOutcomeListQuery,
  buildSerialStandingQuery,
  type LatestOutcomeFilters,
} from "../../../worker/ledger/latest-outcomes";
import {
  buildLogListQuery,
  buildRecordListQuery,
  buildRunListQuery,
  type LogListFilters,
  type RecordListFilters,
  type RunListFilters,
} from "../../../worker/ledger/run-reads";
import { buildDatasetBatchQuery, buildDatasetScopeCountQuery, type DatasetScope } from "../../../worker/ledger/run-scope";
import { buildOldestPendingRunQuery } from "../../../worker/ledger/run-writes";
import type { SqlQuery } from "../../../worker/ledger/sql-query";
import createLedger from "../../../migrations/0001_create_ledger.sql?raw";
import archiveOutcomes from "../../../migrations/0011_archive_outcomes_and_logs.sql?raw";
import driftAndVerification from "../../../migrations/0016_add_drift_and_verification_actions.sql?raw";
import latestByAction from "../../../migrations/0033_index_latest_outcomes_by_action.sql?raw";

// Every list query of the ledger, for every combination of the filters its API accepts, against the real
// migrations: EXPLAIN QUERY PLAN must show it searching the index named here, never reading a table
// whole and never sorting what it pages. A new builder or a new filter that scans fails here.
declare global {
  // Vite's import.meta.glob, typed just for this use (vite/client's types would bring DOM types into the worker).
  interface ImportMeta {
    glob<T>(pattern: string, options: { query: "?raw"; import: "default"; eager: true }): Record<string, T>;
  }
}

interface PlanRow {
  detail: string;
}

async function plan({ sql, params }: SqlQuery): Promise<string[]> {
  const { results } = await env.LEDGER.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<PlanRow>();
  return results.map((row) => row.detail);
}

// A table scan reads every row, an automatic index is built from every row, and a sort for ORDER BY reads
// every match before the first row comes out. Each grows with history, which a list must never do. (A sort
// of the RIGHT PART or LAST TERM of an ORDER BY only orders ties of the index's order, and stops at the limit.)
function problems(steps: string[], allowedSorts = 0): string[] {
  const scans = steps.filter((step) => /^SCAN \w+$/.test(step) || /AUTOMATIC/.test(step));
  const sorts = steps.filter((step) => /TEMP B-TREE FOR ORDER BY/.test(step));
  return [...scans, ...sorts.slice(allowedSorts)];
}

/** Every subset of the filters in `all`, each with the values given there. */
function combinations<T extends object>(all: T): Array<Partial<T>> {
  const keys = Object.keys(all) as Array<keyof T>;
  return Array.from({ length: 2 ** keys.length }, (_, mask) =>
    Object.fromEntries(keys.filter((_, bit) => mask & (2 ** bit)).map((key) => [key, all[key]])),
  ) as Array<Partial<T>>;
}

const label = (filters: object) => (Object.keys(filters).length === 0 ? "no filter" : Object.keys(filters).join(" + "));
const searches = (steps: string[], pattern: RegExp) => steps.some((step) => pattern.test(step));

const since = Date.UTC(2026, 10, 1);
const until = Date.UTC(2026, 11, 1);

// Required<…>: a filter added to the type must be given a value here, and so is planned in every combination.
const EVERY_RUN_FILTER: Required<Omit<RunListFilters, "limit">> = {
  status: "failed",
  credentialId: "cred_1",
  connectionId: "conn_1",
  type: "single",
  mode: "live",
  since,
  until,
  serial: "SN-1",
  cursor: "run_01jd7v0q2k8x3c5n4m6p7r8s9t",
};

// The index that must drive a run list, narrowest first: the first row whose filters are all given.
const RUN_DRIVERS: Array<[Array<keyof RunListFilters>, string, string[]]> = [
  [["connectionId", "status"], "j USING (COVERING )?INDEX jobs_by_connection_run_status", ["connection_id", "run_status"]],
  [["connectionId"], "j USING (COVERING )?INDEX jobs_by_connection_run", ["connection_id"]],
  [["credentialId", "status"], "r USING INDEX runs_by_credential_status", ["credential_id", "status"]],
  [["credentialId"], "r USING INDEX runs_by_credential", ["credential_id"]],
  [["status"], "r USING INDEX runs_by_status", ["status"]],
  [["type", "mode"], "r USING INDEX runs_by_type_mode", ["type", "mode"]],
  [["type"], "r USING INDEX runs_by_type", ["type"]],
  [["mode"], "r USING INDEX runs_by_mode", ["mode"]],
  [[], "r USING INDEX sqlite_autoindex_runs_1", []],
];

function runDriver(filters: Partial<RunListFilters>): RegExp {
  const [, index, equalities] = RUN_DRIVERS.find(([keys]) => keys.every((key) => filters[key] !== undefined))!;
  const id = filters.connectionId === undefined ? "id" : "run_id";
  const terms = [
    ...equalities.map((column) => `${column}=\\?`),
    ...(filters.since !== undefined ? [`${id}>\\?`] : []),
    ...(filters.cursor !== undefined || filters.until !== undefined ? [`${id}<\\?`] : []),
  ];
  // No term at all: the primary key is walked newest first, in order, stopping at the page size.
  return terms.length === 0 ? new RegExp(`^SCAN ${index}$`) : new RegExp(`^SEARCH ${index} \\(${terms.join(" AND ")}\\)$`);
}

const EVERY_DELIVERY_FILTER: Required<DeliveryFilters> & { beforeId: string } = {
  channelId: "chn_1",
  status: "failed",
  eventType: "run.status_changed",
  runId: "run_1",
  beforeId: "dlv_01jd7v0q2k8x3c5n4m6p7r8s9t",
};

const DELIVERY_DRIVERS: Array<[Array<keyof DeliveryFilters>, string, string[]]> = [
  [["runId"], "deliveries_log_by_run", ["run_id"]],
  [["channelId", "status"], "deliveries_log_by_channel_status", ["channel_id", "status"]],
  [["channelId"], "deliveries_log_by_channel", ["channel_id"]],
  [["status"], "deliveries_log_by_status", ["status"]],
  [["eventType"], "deliveries_log_by_event_type", ["event_type"]],
  [[], "sqlite_autoindex_deliveries_1", []],
];

function deliveryDriver(filters: Partial<typeof EVERY_DELIVERY_FILTER>): RegExp {
  const [, index, equalities] = DELIVERY_DRIVERS.find(([keys]) => keys.every((key) => filters[key] !== undefined))!;
  const terms = [...equalities.map((column) => `${column}=\\?`), ...(filters.beforeId !== undefined ? ["id<\\?"] : [])];
  return terms.length === 0 ? new RegExp(`^SCAN d USING INDEX ${index}$`) : new RegExp(`^SEARCH d USING INDEX ${index} \\(${terms.join(" AND ")}\\)$`);
}

const EVERY_RECORD_FILTER: Required<Omit<RecordListFilters, "limit">> = { action: "failed", serialPrefix: "SN-0", cursor: "SN-05" };
const EVERY_LOG_FILTER: Required<Omit<LogListFilters, "limit">> = { levels: ["WARN", "ERROR"], search: "retry after", afterSeq: 10 };
const CHANGED: DatasetScope = { kind: "changed", sinceMs: since };
const ALL: DatasetScope = { kind: "all" };

interface PlannedCase {
  name: string;
  query: SqlQuery;
  // Each must match one step of the plan.
  drivers: RegExp[];
  // Steps that must not appear (an index walked the wrong way round).
  never?: RegExp[];
  // Sorts allowed, with the reason they stay bounded.
  sorts?: { count: number; why: string };
}

// One entry per exported builder of worker/ledger: its cases cover every filter combination it accepts.
const LIST_QUERIES: Record<string, () => PlannedCase[]> = {
  buildRunListQuery: () =>
    combinations(EVERY_RUN_FILTER).map((filters) => ({
      name: `GET /api/runs by ${label(filters)}`,
      query: buildRunListQuery({ ...filters, limit: 50 }),
      // With a serial, each side of the union searches its serial index; the rest is one driving index.
      drivers:
        filters.serial === undefined
          ? [runDriver(filters)]
          : [/^SEARCH r USING (COVERING )?INDEX runs_by_serial \(serial=\?/, /^SEARCH o USING (COVERING )?INDEX record_outcomes_by_serial \(serial=\?/],
    })),
  buildRecordListQuery: () =>
    combinations(EVERY_RECORD_FILTER).map((filters) => ({
      name: `a job's records by ${label(filters)}`,
      query: buildRecordListQuery("job_1", { ...filters, limit: 100 }),
      drivers: [/^SEARCH record_outcomes USING .*\(job_id=\?/],
    })),
  buildLogListQuery: () =>
    [...combinations(EVERY_LOG_FILTER), { levels: ["WARN" as const] }].map((filters) => ({
      name: `a job's logs by ${label(filters)}${filters.levels?.length === 1 ? " (one level)" : ""}`,
      query: buildLogListQuery("job_1", { ...filters, limit: 200 }),
      // The search asks FTS5 only within the job's rowid range (">" and "<" in the index string).
      drivers: [/^SEARCH logs USING .*\(job_id=\?/, ...(filters.search === undefined ? [] : [/^SCAN logs_fts VIRTUAL TABLE INDEX \d+:M\d*></])],
    })),
  buildDeliveryListQuery: () =>
    combinations(EVERY_DELIVERY_FILTER).map(({ beforeId, ...filters }) => ({
      name: `the delivery log by ${label({ ...filters, ...(beforeId === undefined ? {} : { beforeId }) })}`,
      query: buildDeliveryListQuery(filters, { beforeId: beforeId ?? null, limit: 50 }),
      drivers: [deliveryDriver({ ...filters, beforeId })],
    })),
  buildDueDeliveriesQuery: () => [
    {
      name: "due deliveries",
      query: buildDueDeliveriesQuery(until, 50),
      drivers: [
        /^SEARCH d USING INDEX deliveries_due \(next_attempt_at<\?\)$/,
        /^SEARCH p USING (COVERING )?INDEX deliveries_pending_in_order \(channel_id=\? AND run_id=\? AND event_seq<\?\)$/,
      ],
      never: [/deliveries_log_by_status/],
    },
  ],
  buildNextDeliveryDueQuery: () => [
    {
      name: "the next due delivery",
      query: buildNextDeliveryDueQuery(),
      drivers: [/^SEARCH d USING INDEX deliveries_due \(next_attempt_at>\?\)$/],
      never: [/deliveries_log_by_status/],
    },
  ],
  buildDueChannelTestsQuery: () => [
    {
      name: "channels whose scheduled test is due",
      query: buildDueChannelTestsQuery(until, 25),
      drivers: [/^SEARCH alert_channels USING INDEX alert_channels_test_due \(test_next_at<\?\)$/],
    },
  ],
  buildApiTokenListQuery: () => [
    { name: "API tokens newest first", query: buildApiTokenListQuery(), drivers: [/^SCAN api_tokens USING (COVERING )?INDEX api_tokens_by_created$/] },
  ],
  buildOldestPendingRunQuery: () => [
    {
      name: "the oldest pending run of a credential",
      query: buildOldestPendingRunQuery("cred_1"),
      drivers: [/^SEARCH runs USING COVERING INDEX runs_pending_by_credential \(credential_id=\?\)$/],
    },
  ],
  buildDatasetScopeCountQuery: () => [
    {
      name: "the count of a complete dataset scope",
      query: buildDatasetScopeCountQuery("conn_1", ALL),
      drivers: [/^SEARCH dataset_records USING (COVERING INDEX dataset_records_changed|PRIMARY KEY) \(connection_id=\?\)$/],
    },
    {
      name: "the count of an incremental dataset scope",
      query: buildDatasetScopeCountQuery("conn_1", CHANGED),
      drivers: [
        /^SEARCH dataset_records USING COVERING INDEX dataset_records_changed \(connection_id=\? AND updated_at>\?\)$/,
        /^SEARCH r USING PRIMARY KEY \(connection_id=\?\)$/,
        /^SEARCH o USING PRIMARY KEY \(connection_id=\? AND serial=\?\)$/,
      ],
      never: [/updated_at<\?/],
    },
  ],
  buildDatasetBatchQuery: () => [
    {
      name: "a batch of a complete dataset scope",
      query: buildDatasetBatchQuery("conn_1", ALL, "SN-1", 1000),
      drivers: [/^SEARCH dataset_records USING PRIMARY KEY \(connection_id=\? AND serial>\?\)$/],
    },
    {
      name: "a batch of an incremental dataset scope",
      query: buildDatasetBatchQuery("conn_1", CHANGED, "SN-1", 1000),
      drivers: [
        /^SEARCH dataset_records USING COVERING INDEX dataset_records_changed \(connection_id=\? AND updated_at>\?\)$/,
        /^SEARCH r USING PRIMARY KEY \(connection_id=\? AND serial>\?\)$/,
        /^SEARCH d USING PRIMARY KEY \(connection_id=\? AND serial=\?\)$/,
      ],
      never: [/updated_at<\?/],
      sorts: { count: 1, why: "orders by serial only the index entries of records changed since the cursor" },
    },
  ],
  buildDatasetRecordListQuery: () =>
    [null, "SN-1"].map((afterSerial) => ({
      name: `a dataset's records ${afterSerial === null ? "from the start" : "after a cursor"}`,
      query: buildDatasetRecordListQuery("conn_1", { afterSerial, limit: 100 }),
      drivers: [afterSerial === null ? /^SEARCH dataset_records USING PRIMARY KEY \(connection_id=\?\)$/ : /\(connection_id=\? AND serial>\?\)$/],
    })),
  buildLatestOutcomeListQuery: () =>
    combinations<Required<LatestOutcomeFilters>>({ action: "failed", serialPrefix: "SN-", afterSerial: "SN-1" }).map((filters) => ({
      name: `a connection's serials by ${label(filters)}`,
      query: buildLatestOutcomeListQuery("conn_1", filters, 101),
      drivers: [
        filters.action === undefined
          ? /^SEARCH lo USING PRIMARY KEY \(connection_id=\?/
          : /^SEARCH lo USING (COVERING )?INDEX latest_outcomes_by_action \(connection_id=\? AND action=\?/,
        /^SEARCH r USING INDEX sqlite_autoindex_runs_1 \(id=\?\) LEFT-JOIN$/,
        /^SEARCH j USING (COVERING )?INDEX sqlite_autoindex_jobs_1 \(id=\?\) LEFT-JOIN$/,
      ],
    })),
  buildLatestOutcomeCountQuery: () => [
    {
      name: "a connection's serials holding one action, counted up to the cap",
      query: buildLatestOutcomeCountQuery("conn_1", "failed"),
      drivers: [/^SEARCH latest_outcomes USING COVERING INDEX latest_outcomes_by_action \(connection_id=\? AND action=\?\)$/],
    },
  ],
  buildSerialStandingQuery: () => [
    {
      name: "one serial on every connection",
      query: buildSerialStandingQuery("SN-1"),
      drivers: [
        /^SCAN c USING INDEX connections_by_credential$/,
        /^SEARCH lo USING PRIMARY KEY \(connection_id=\? AND serial=\?\)$/,
        /^SEARCH r USING INDEX sqlite_autoindex_runs_1 \(id=\?\) LEFT-JOIN$/,
      ],
    },
  ],
  buildConnectionListQuery: () =>
    combinations<Required<Omit<ListConnectionsOptions, "limit">>>({
      credentialId: "cred_1",
      after: { credentialName: "Acme", position: 3, id: "conn_1" },
    }).map((options) => ({
      name: `connections by ${label(options)}`,
      query: buildConnectionListQuery({ ...options, limit: 100 }),
      drivers: [
        options.credentialId !== undefined
          ? /^SEARCH cr USING INDEX sqlite_autoindex_credentials_1 \(id=\?\)$/
          : /cr USING INDEX sqlite_autoindex_credentials_2/,
        /^SEARCH c USING INDEX connections_by_credential \(credential_id=\?\)$/,
      ],
    })),
};

const sources = import.meta.glob<string>("../../../worker/ledger/*.ts", { query: "?raw", import: "default", eager: true });
const builders = Object.values(sources).flatMap((text) => [...text.matchAll(/^export function (build\w*Query)\(/gm)].map((match) => match[1]!));

describe("list queries", () => {
  it("every query builder the ledger exports has its plans checked here", () => {
    expect(builders.length).toBeGreaterThan(0);
    expect(builders.filter((name) => !(name in LIST_QUERIES))).toEqual([]);
    expect(Object.keys(LIST_QUERIES).filter((name) => !builders.includes(name))).toEqual([]);
  });

  const cases = Object.values(LIST_QUERIES).flatMap((build) => build());

  it.each(cases.map((c) => [c.name, c] as const))("%s searches its index and never scans or sorts the history", async (_name, c) => {
    const steps = await plan(c.query);
    const shown = steps.join("\n");
    expect(problems(steps, c.sorts?.count), shown).toEqual([]);
    for (const driver of c.drivers) expect(searches(steps, driver), `${driver} in\n${shown}`).toBe(true);
    for (const wrong of c.never ?? []) expect(searches(steps, wrong), `${wrong} in\n${shown}`).toBe(false);
  });

  it("checks every combination of the run list's filters", () => {
    expect(cases.filter((c) => c.name.startsWith("GET /api/runs"))).toHaveLength(2 ** Object.keys(EVERY_RUN_FILTER).length);
  });
});

// D1 runs a migration's statements in one go; comments out and whitespace folded, as wrangler sends them.
const oneLine = (sql: string) => sql.replace(/--.*$/gm, "").replace(/\s+/g, " ").trim();
const statementOf = (sql: string, pattern: RegExp) => sql.match(pattern)?.[0] ?? "";
const indexesOf = async (table: string) =>
  (
    await env.LEDGER.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 ORDER BY name").bind(table).all<{ name: string }>()
  ).results.map((row) => row.name);

describe("migration 0016", () => {
  it("rebuilds record_outcomes and latest_outcomes with their rows and indexes, accepting drifted, verified and verify_mismatch", async () => {
    const indexesBefore = [await indexesOf("record_outcomes"), await indexesOf("latest_outcomes")];
    // The two tables as a ledger from before 0016 holds them (their CHECKs know seven actions), with rows.
    await env.LEDGER.exec(oneLine("DROP TABLE record_outcomes; DROP TABLE latest_outcomes;"));
    await env.LEDGER.exec(
      oneLine(
        [
          statementOf(createLedger, /CREATE TABLE record_outcomes \([\s\S]*?\) WITHOUT ROWID;/),
          statementOf(createLedger, /CREATE INDEX record_outcomes_by_action[^;]*;/),
          statementOf(createLedger, /CREATE INDEX record_outcomes_by_serial[^;]*;/),
          statementOf(archiveOutcomes, /CREATE TABLE latest_outcomes \([\s\S]*?\) WITHOUT ROWID;/),
        ].join("\n"),
      ),
    );
    await expect(env.LEDGER.prepare("INSERT INTO latest_outcomes VALUES ('conn_1', 'SN-0', 'verified', 'job_1', 'run_1', 1)").run()).rejects.toThrow(/CHECK/);
    await env.LEDGER.batch([
      env.LEDGER.prepare(
        `INSERT INTO record_outcomes (job_id, serial, run_id, action, changes_json, http_status, payload_excerpt, error, recorded_at)
         VALUES ('job_1', 'SN-1', 'run_1', 'updated', '[{"field":"f","before":1,"after":2}]', 200, '{"f":2}', NULL, 10),
                ('job_1', 'SN-2', 'run_1', 'failed', NULL, 500, NULL, 'boom', 11)`,
      ),
      env.LEDGER.prepare("INSERT INTO latest_outcomes VALUES ('conn_1', 'SN-1', 'updated', 'job_1', 'run_1', 10)"),
    ]);

    // 0016 without its jobs columns, which this ledger already has.
    await env.LEDGER.exec(oneLine(driftAndVerification.replace(/ALTER TABLE jobs ADD COLUMN[^;]*;/g, "")));
    // And the index a later migration adds to the rebuilt table, so the indexes compare with today's ledger.
    await env.LEDGER.exec(oneLine(latestByAction));

    const outcomes = await env.LEDGER.prepare("SELECT * FROM record_outcomes ORDER BY serial").all();
    expect(outcomes.results).toEqual([
      {
        job_id: "job_1",
        serial: "SN-1",
        run_id: "run_1",
        action: "updated",
        changes_json: '[{"field":"f","before":1,"after":2}]',
        http_status: 200,
        payload_excerpt: '{"f":2}',
        error: null,
        recorded_at: 10,
        differences_json: null,
      },
      {
        job_id: "job_1",
        serial: "SN-2",
        run_id: "run_1",
        action: "failed",
        changes_json: null,
        http_status: 500,
        payload_excerpt: null,
        error: "boom",
        recorded_at: 11,
        differences_json: null,
      },
    ]);
    expect((await env.LEDGER.prepare("SELECT serial, action FROM latest_outcomes").all()).results).toEqual([{ serial: "SN-1", action: "updated" }]);
    expect([await indexesOf("record_outcomes"), await indexesOf("latest_outcomes")]).toEqual(indexesBefore);

    for (const [n, action] of ["drifted", "verified", "verify_mismatch"].entries()) {
      await env.LEDGER.batch([
        env.LEDGER.prepare(
          "INSERT INTO record_outcomes (job_id, serial, run_id, action, differences_json, recorded_at) VALUES ('job_2', ?1, 'run_2', ?2, '[]', 1)",
        ).bind(`SN-${n}`, action),
        env.LEDGER.prepare("INSERT INTO latest_outcomes VALUES ('conn_2', ?1, ?2, 'job_2', 'run_2', 1)").bind(`SN-${n}`, action),
      ]);
    }
    await expect(
      env.LEDGER.prepare("INSERT INTO record_outcomes (job_id, serial, run_id, action, recorded_at) VALUES ('job_2', 'SN-9', 'run_2', 'verify', 1)").run(),
    ).rejects.toThrow(/CHECK/);
  });
});
