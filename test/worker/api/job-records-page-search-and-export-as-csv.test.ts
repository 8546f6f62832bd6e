import { describe, expect, it } from "vitest";
import type { RecordOutcomePage } from "../../../worker/schemas/runs";
import { apiGet, HISTORY_LAYOUTS, makeReadApiApp, makeToken, type HistoryLayout } from "../factories";

async function jobWithOutcomes({ makeRun, makeOutcomes }: HistoryLayout) {
  const app = makeReadApiApp();
  const { token } = await makeToken("viewer");
  const run = await makeRun({ mode: "dry" });
  const job = run.jobs[0]!;
  await makeOutcomes(job, [
    { serial: "SN-001", action: "would_update", changes: [{ field: "status", before: "active", after: "maintenance" }] },
    { serial: "SN-002", action: "skipped_no_change" },
    {
      serial: "SN-010",
      action: "would_update",
      changes: [
        { field: "firmware", before: "1.2", after: "1.3" },
        { field: "site", before: null, after: "Oslo" },
      ],
    },
    { serial: "SN-011", action: "missing_destination" },
    { serial: "XY-100", action: "failed", http_status: 400, error: 'unknown field "colour"' },
  ]);
  return { job, get: (path: string, headers?: Record<string, string>) => apiGet(app, token, path, headers) };
}

const serialsOf = (page: RecordOutcomePage) => page.data.map((record) => record.serial);

describe.each(HISTORY_LAYOUTS)("GET /api/jobs/{id}/records from $name", (layout) => {
  const { makeRun, makeOutcomes } = layout;
  it("pages outcomes by serial with their changes", async () => {
    const { job, get } = await jobWithOutcomes(layout);
    const first = await (await get(`/api/jobs/${job.id}/records?limit=2`)).json<RecordOutcomePage>();
    expect(serialsOf(first)).toEqual(["SN-001", "SN-002"]);
    expect(first.next_cursor).toBe("SN-002");
    expect(first.data[0]).toEqual({
      job_id: job.id,
      run_id: job.run_id,
      serial: "SN-001",
      action: "would_update",
      changes: [{ field: "status", before: "active", after: "maintenance" }],
      differences: null,
      http_status: null,
      payload_excerpt: null,
      error: null,
      recorded_at: new Date(job.created_at + 100).toISOString(),
    });

    const second = await (await get(`/api/jobs/${job.id}/records?limit=2&cursor=${first.next_cursor}`)).json<RecordOutcomePage>();
    expect(serialsOf(second)).toEqual(["SN-010", "SN-011"]);
    const last = await (await get(`/api/jobs/${job.id}/records?limit=2&cursor=${second.next_cursor}`)).json<RecordOutcomePage>();
    expect(serialsOf(last)).toEqual(["XY-100"]);
    expect(last.next_cursor).toBeNull();
  });

  it("filters by action and searches by serial prefix", async () => {
    const { job, get } = await jobWithOutcomes(layout);
    const wouldUpdate = await (await get(`/api/jobs/${job.id}/records?action=would_update`)).json<RecordOutcomePage>();
    expect(serialsOf(wouldUpdate)).toEqual(["SN-001", "SN-010"]);
    const prefix = await (await get(`/api/jobs/${job.id}/records?serial=SN-01`)).json<RecordOutcomePage>();
    expect(serialsOf(prefix)).toEqual(["SN-010", "SN-011"]);
    const both = await (await get(`/api/jobs/${job.id}/records?serial=SN-01&action=missing_destination`)).json<RecordOutcomePage>();
    expect(serialsOf(both)).toEqual(["SN-011"]);
    const none = await (await get(`/api/jobs/${job.id}/records?serial=SN%25`)).json<RecordOutcomePage>();
    expect(serialsOf(none)).toEqual([]);
  });

  it("exports CSV with one row per changed field, before and after side by side", async () => {
    const { job, get } = await jobWithOutcomes(layout);
    const res = await get(`/api/jobs/${job.id}/records?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("Content-Disposition")).toBe(`attachment; filename="${job.id}-records.csv"`);
    const at = new Date(job.created_at + 100).toISOString();
    expect((await res.text()).split("\r\n")).toEqual([
      "serial,action,field,before,after,written,http_status,error,recorded_at,expected,found,difference",
      `SN-001,would_update,status,active,maintenance,,,,${at},,,`,
      `SN-002,skipped_no_change,,,,,,,${at},,,`,
      `SN-010,would_update,firmware,1.2,1.3,,,,${at},,,`,
      `SN-010,would_update,site,,Oslo,,,,${at},,,`,
      `SN-011,missing_destination,,,,,,,${at},,,`,
      `XY-100,failed,,,,,400,"unknown field ""colour""",${at},,,`,
      "",
    ]);
  });

  it("exports what a read-back or an apply found differing: expected, found and which side, beside the change", async () => {
    const app = makeReadApiApp();
    const { token } = await makeToken("viewer");
    const job = (await makeRun()).jobs[0]!;
    await makeOutcomes(job, [
      {
        serial: "SN-1",
        action: "verify_mismatch",
        changes: [{ field: "status", before: "active", after: "maintenance", written: true }],
        differences: [{ field: "status", expected: "maintenance", found: "active", side: "stored" }],
      },
      { serial: "SN-2", action: "drifted", differences: [{ field: "firmware", expected: "1.2", found: "1.4", side: "destination" }] },
    ]);

    const text = await (await apiGet(app, token, `/api/jobs/${job.id}/records?format=csv`)).text();
    const rows = text
      .trimEnd()
      .split("\r\n")
      .map((line) => line.split(","));
    const pick = (row: string[]) => [row[0], row[1], row[2], row[3], row[4], row[5], row[9], row[10], row[11]];
    expect(rows.slice(1).map(pick)).toEqual([
      ["SN-1", "verify_mismatch", "status", "active", "maintenance", "true", "maintenance", "active", "stored"],
      ["SN-2", "drifted", "firmware", "", "", "", "1.2", "1.4", "destination"],
    ]);
  });

  it("exports CSV for Accept: text/csv too, keeping the filters and every page", async () => {
    const app = makeReadApiApp();
    const { token } = await makeToken("viewer");
    const job = (await makeRun()).jobs[0]!;
    const serials = Array.from({ length: 1_203 }, (_, i) => `SN-${String(i).padStart(5, "0")}`);
    for (let i = 0; i < serials.length; i += 300) {
      await makeOutcomes(
        job,
        serials.slice(i, i + 300).map((serial) => ({ serial, action: "skipped_rule" as const })),
      );
    }
    await makeOutcomes(job, [{ serial: "ZZ-1", action: "failed" }]);

    const res = await apiGet(app, token, `/api/jobs/${job.id}/records?action=skipped_rule&limit=5`, { Accept: "text/csv" });
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    const rows = (await res.text()).trimEnd().split("\r\n").slice(1);
    expect(rows.map((row) => row.split(",")[0])).toEqual(serials);
  });

  it("guards spreadsheet cells against formulas but leaves negative numbers alone", async () => {
    const app = makeReadApiApp();
    const { token } = await makeToken("viewer");
    const job = (await makeRun()).jobs[0]!;
    await makeOutcomes(job, [{ serial: "SN-1", action: "updated", changes: [{ field: "note", before: '=HYPERLINK("x")', after: -12.5, written: true }] }]);
    const text = await (await apiGet(app, token, `/api/jobs/${job.id}/records?format=csv`)).text();
    expect(text.split("\r\n")[1]).toMatch(/^SN-1,updated,note,"'=HYPERLINK\(""x""\)",-12.5,true,,,/);
  });

  it("returns the differences of a Verify Mismatch and a Drifted record, and filters by the new actions", async () => {
    const app = makeReadApiApp();
    const { token } = await makeToken("viewer");
    const job = (await makeRun({ mode: "live" })).jobs[0]!;
    const stored = [{ field: "name", expected: "Pump 7", found: "PUMP 7", side: "stored" as const }];
    const drifted = [
      { field: "site", expected: "Oslo", found: "Bergen", side: "destination" as const },
      { field: "status", expected: "active", found: null, side: "source" as const },
    ];
    await makeOutcomes(job, [
      { serial: "SN-1", action: "verified", http_status: 200 },
      { serial: "SN-2", action: "verify_mismatch", http_status: 200, differences: stored },
      { serial: "SN-3", action: "drifted", differences: drifted },
    ]);
    const get = async (query: string) => (await apiGet(app, token, `/api/jobs/${job.id}/records${query}`)).json<RecordOutcomePage>();
    const all = await get("");
    expect(all.data.map((r) => [r.serial, r.action, r.differences])).toEqual([
      ["SN-1", "verified", null],
      ["SN-2", "verify_mismatch", stored],
      ["SN-3", "drifted", drifted],
    ]);
    expect(serialsOf(await get("?action=verify_mismatch"))).toEqual(["SN-2"]);
    expect(serialsOf(await get("?action=drifted"))).toEqual(["SN-3"]);
  });

  it("answers 404 for an unknown job, as JSON and as CSV", async () => {
    const { get } = await jobWithOutcomes(layout);
    for (const path of ["/api/jobs/job_nope/records", "/api/jobs/job_nope/records?format=csv"]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect((await res.json<{ error: { code: string } }>()).error.code).toBe("not_found");
    }
  });
});
