import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildLogListQuery, buildRecordListQuery, buildRunListQuery, type RunListFilters, type SqlQuery } from "../../../worker/ledger/run-reads";

interface PlanRow {
  detail: string;
}

async function plan({ sql, params }: SqlQuery): Promise<string[]> {
  const { results } = await env.LEDGER.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<PlanRow>();
  return results.map((row) => row.detail);
}

// A table scan reads every row; a sort for ORDER BY reads every match before the first row comes out.
// Either grows with history, which a list must never do.
function problems(steps: string[]): string[] {
  return steps.filter((step) => /^SCAN \w+$/.test(step) || /TEMP B-TREE FOR ORDER BY/.test(step));
}

const cursor = "run_01jd7v0q2k8x3c5n4m6p7r8s9t";
const since = Date.UTC(2026, 10, 1);
const until = Date.UTC(2026, 11, 1);

// Each filter alone, and the index column it must be searched by.
const SINGLE_FILTERS: Array<[string, Omit<RunListFilters, "limit">, RegExp]> = [
  ["status", { status: "failed" }, /runs_by_status \(status=\?/],
  ["credential", { credentialId: "cred_1" }, /runs_by_credential \(credential_id=\?/],
  ["type", { type: "single" }, /runs_by_type \(type=\?/],
  ["mode", { mode: "live" }, /runs_by_mode \(mode=\?/],
  ["connection", { connectionId: "conn_1" }, /jobs_by_connection_run \(connection_id=\?/],
  ["serial", { serial: "SN-1" }, /record_outcomes_by_serial \(serial=\?/],
  ["since and until", { since, until }, /\(id>\? AND id<\?\)/],
  ["cursor", { cursor }, /\(id<\?\)/],
];

describe("list queries", () => {
  it.each(SINGLE_FILTERS)("GET /api/runs by %s searches an index and never sorts", async (_name, filters, index) => {
    const steps = await plan(buildRunListQuery({ ...filters, limit: 50 }));
    expect(problems(steps), steps.join("\n")).toEqual([]);
    expect(
      steps.some((step) => index.test(step)),
      steps.join("\n"),
    ).toBe(true);
  });

  it("GET /api/runs with no filter walks the primary key newest first", async () => {
    const steps = await plan(buildRunListQuery({ limit: 50 }));
    expect(problems(steps), steps.join("\n")).toEqual([]);
  });

  it("GET /api/runs with every filter at once neither scans nor sorts", async () => {
    const all: RunListFilters = {
      status: "failed",
      credentialId: "cred_1",
      connectionId: "conn_1",
      type: "full",
      mode: "dry",
      since,
      until,
      serial: "SN-1",
      cursor,
      limit: 200,
    };
    for (const filters of [all, { ...all, serial: undefined }, { ...all, serial: undefined, connectionId: undefined }]) {
      const steps = await plan(buildRunListQuery(filters));
      expect(problems(steps), steps.join("\n")).toEqual([]);
    }
  });

  it("a job's records page by the job's key, by action and by serial prefix", async () => {
    for (const filters of [{}, { action: "failed" as const }, { serialPrefix: "SN-0" }, { action: "updated" as const, cursor: "SN-5" }]) {
      const steps = await plan(buildRecordListQuery("job_1", { ...filters, limit: 100 }));
      expect(problems(steps), steps.join("\n")).toEqual([]);
      expect(
        steps.some((step) => /record_outcomes USING .*\(job_id=\?/.test(step)),
        steps.join("\n"),
      ).toBe(true);
    }
  });

  it("a job's logs page by the job's key with level, search and after_seq", async () => {
    for (const filters of [{}, { levels: ["WARN" as const] }, { levels: ["WARN" as const, "ERROR" as const] }, { search: "retry", afterSeq: 10 }]) {
      const steps = await plan(buildLogListQuery("job_1", { ...filters, limit: 200 }));
      expect(problems(steps), steps.join("\n")).toEqual([]);
      expect(
        steps.some((step) => /logs USING .*\(job_id=\?/.test(step)),
        steps.join("\n"),
      ).toBe(true);
    }
  });
});
