import { describe, expect, it } from "vitest";
import type { JobDetail, RunDetail, RunPage } from "../../../worker/schemas/runs";
import { env } from "cloudflare:test";
import { commit, sliceFlushStatements } from "../../../worker/ledger/run-writes";
import { apiGet, makeOutcomes, makeReadApiApp, makeRun, makeToken, type ReadApiApp, type RunFixture } from "../factories";

const MINUTE = 60_000;

// Each test gets its own hour far from the others, so rows other tests left behind never match.
let hour = 0;
const freshBase = () => Date.UTC(2031, 0, 1) + ++hour * 60 * MINUTE;

async function viewerApp(): Promise<{ app: ReadApiApp; get: (path: string) => Promise<Response> }> {
  const app = makeReadApiApp();
  const { token } = await makeToken("viewer");
  return { app, get: (path) => apiGet(app, token, path) };
}

async function listIds(get: (path: string) => Promise<Response>, query: string): Promise<string[]> {
  const res = await get(`/api/runs?${query}`);
  expect(res.status).toBe(200);
  return (await res.json<RunPage>()).data.map((run) => run.id);
}

/** The ids of `runs`, newest first, as the list shows them. */
const newestFirst = (...runs: RunFixture[]) =>
  runs
    .map((run) => run.id)
    .sort()
    .reverse();

describe("GET /api/runs", () => {
  it("lists newest first and pages with the cursor until next_cursor is null", async () => {
    const { get } = await viewerApp();
    const base = freshBase();
    const credential = `cred_paging_${base}`;
    const runs: RunFixture[] = [];
    for (let i = 0; i < 5; i++) runs.push(await makeRun({ credential_id: credential, created_at: base + i * MINUTE }));

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/api/runs?credential=${credential}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      const page = await res.json<RunPage>();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((run) => run.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null);

    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst(...runs));
  });

  it("answers a run with ISO times, its duration and its chosen connections", async () => {
    const { get } = await viewerApp();
    const base = freshBase();
    const run = await makeRun({
      credential_id: `cred_shape_${base}`,
      credential_name: "Fleet",
      type: "single",
      serial: "SN-1",
      mode: "live",
      trigger: "api",
      status: "failed",
      scope_json: JSON.stringify(["conn_a"]),
      connections_failed: 1,
      created_at: base,
      started_at: base + 1_000,
      finished_at: base + 3_500,
    });
    const page = await (await get(`/api/runs?credential=cred_shape_${base}`)).json<RunPage>();
    expect(page).toEqual({
      data: [
        {
          id: run.id,
          credential_id: `cred_shape_${base}`,
          credential_name: "Fleet",
          type: "single",
          serial: "SN-1",
          mode: "live",
          trigger: "api",
          requested_by: "factory",
          status: "failed",
          connection_ids: ["conn_a"],
          reset: false,
          rerun_of: null,
          plan_run_id: null,
          connection_count: 1,
          connections_succeeded: 0,
          connections_failed: 1,
          failed_records: 0,
          status_detail: null,
          cancel_requested_at: null,
          created_at: new Date(base).toISOString(),
          started_at: new Date(base + 1_000).toISOString(),
          finished_at: new Date(base + 3_500).toISOString(),
          duration_ms: 2_500,
          eta: null,
          waiting: null,
        },
      ],
      next_cursor: null,
    });
  });

  it("filters by status, type, mode and credential, alone and together", async () => {
    const { get } = await viewerApp();
    const base = freshBase();
    const cred = `cred_filters_${base}`;
    const other = `cred_filters_other_${base}`;
    const at = (i: number) => base + i * MINUTE;
    const failedFullDry = await makeRun({ credential_id: cred, status: "failed", type: "full", mode: "dry", created_at: at(0) });
    const completedSingleLive = await makeRun({ credential_id: cred, status: "completed", type: "single", serial: "SN-9", mode: "live", created_at: at(1) });
    const failedSingleLive = await makeRun({ credential_id: cred, status: "failed", type: "single", serial: "SN-9", mode: "live", created_at: at(2) });
    const runningFullLive = await makeRun({ credential_id: other, status: "running", type: "full", mode: "live", created_at: at(3) });
    const window = `since=${new Date(at(0)).toISOString()}&until=${new Date(at(4)).toISOString()}`;

    expect(await listIds(get, `${window}&status=failed`)).toEqual(newestFirst(failedFullDry, failedSingleLive));
    expect(await listIds(get, `${window}&type=single`)).toEqual(newestFirst(completedSingleLive, failedSingleLive));
    expect(await listIds(get, `${window}&mode=live`)).toEqual(newestFirst(completedSingleLive, failedSingleLive, runningFullLive));
    expect(await listIds(get, `credential=${other}`)).toEqual([runningFullLive.id]);
    expect(await listIds(get, `credential=${cred}&status=failed&mode=live&type=single`)).toEqual([failedSingleLive.id]);
  });

  it("keeps since inclusive and until exclusive, and takes relative times", async () => {
    const { get } = await viewerApp();
    const base = freshBase();
    const cred = `cred_window_${base}`;
    const early = await makeRun({ credential_id: cred, created_at: base });
    const middle = await makeRun({ credential_id: cred, created_at: base + 10 * MINUTE });
    const late = await makeRun({ credential_id: cred, created_at: base + 20 * MINUTE });
    const iso = (ms: number) => new Date(ms).toISOString();

    expect(await listIds(get, `credential=${cred}&since=${iso(base + 10 * MINUTE)}`)).toEqual(newestFirst(middle, late));
    expect(await listIds(get, `credential=${cred}&until=${iso(base + 10 * MINUTE)}`)).toEqual([early.id]);
    expect(await listIds(get, `credential=${cred}&since=${iso(base + 1)}&until=${iso(base + 20 * MINUTE)}`)).toEqual([middle.id]);

    const recent = await makeRun({ credential_id: cred, created_at: Date.now() - 5 * MINUTE });
    expect(await listIds(get, `credential=${cred}&since=1h&until=now`)).toEqual([recent.id]);
  });

  it("finds the runs of a connection through their jobs", async () => {
    const { get } = await viewerApp();
    const base = freshBase();
    const connection = `conn_filter_${base}`;
    const first = await makeRun({ created_at: base }, [{ connection_id: connection, position: 2 }]);
    await makeRun({ created_at: base + MINUTE }, [{ connection_id: `conn_unrelated_${base}` }]);
    const second = await makeRun({ created_at: base + 2 * MINUTE, status: "failed" }, [{ connection_id: connection }]);

    expect(await listIds(get, `connection=${connection}`)).toEqual(newestFirst(first, second));
    expect(await listIds(get, `connection=${connection}&status=failed`)).toEqual([second.id]);
    expect(await listIds(get, `connection=${connection}&limit=1&cursor=${second.id}`)).toEqual([first.id]);
  });

  it("finds a serial in single runs and in the record outcomes of full runs", async () => {
    const { get } = await viewerApp();
    const base = freshBase();
    const serial = `SN-${base}`;
    const single = await makeRun({ type: "single", serial, created_at: base });
    const full = await makeRun({ type: "full", created_at: base + MINUTE, mode: "live" }, [{ position: 1 }, { position: 2 }]);
    // Two connections of the same run both touched the serial: the run is listed once.
    await makeOutcomes(full.jobs[0]!, [{ serial, action: "updated" }]);
    await makeOutcomes(full.jobs[1]!, [{ serial, action: "skipped_no_change" }]);
    const elsewhere = await makeRun({ type: "full", created_at: base + 2 * MINUTE });
    await makeOutcomes(elsewhere.jobs[0]!, [{ serial: `${serial}-other`, action: "updated" }]);

    expect(await listIds(get, `serial=${serial}`)).toEqual(newestFirst(single, full));
    expect(await listIds(get, `serial=${serial}&mode=live`)).toEqual([full.id]);
    expect(await listIds(get, `serial=${serial}&limit=1`)).toEqual([full.id]);
    expect(await listIds(get, `serial=${serial}&cursor=${full.id}`)).toEqual([single.id]);
  });

  it("refuses bad filters with a 400 naming each field", async () => {
    const { get } = await viewerApp();
    const res = await get("/api/runs?status=done&limit=500&since=yesterday-ish");
    expect(res.status).toBe(400);
    const body = await res.json<{ error: { code: string; details: Array<{ path: string }> } }>();
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.map((d) => d.path).sort()).toEqual(["limit", "status"]);

    const badTime = await get("/api/runs?since=yesterday-ish");
    expect(badTime.status).toBe(400);
    expect((await badTime.json<{ error: { details: Array<{ path: string }> } }>()).error.details[0]!.path).toBe("since");

    // A cursor this list never handed out is refused, not read as "nothing older", which would end a client's paging.
    for (const cursor of ["%25%25zz", "job_01jd7v0q2k8x3c5n4m6p7r8s9t", "RUN_X"]) {
      const foreign = await get(`/api/runs?cursor=${cursor}`);
      expect(foreign.status, cursor).toBe(400);
      const error = (await foreign.json<{ error: { details: Array<{ path: string; message: string }> } }>()).error;
      expect(error.details).toEqual([expect.objectContaining({ path: "cursor", message: "not a cursor from this list; pass next_cursor unchanged" })]);
    }
  });

  it("needs a signed-in caller", async () => {
    const app = makeReadApiApp();
    const res = await app.request("/api/runs", {}, {});
    expect(res.status).toBe(401);
    await res.arrayBuffer();
  });
});

describe("GET /api/runs/{id} and GET /api/jobs/{id}", () => {
  it("answers a run with its jobs in execution order", async () => {
    const { get } = await viewerApp();
    const run = await makeRun({ created_at: freshBase() }, [
      { position: 3, connection_name: "Third" },
      { position: 1, connection_name: "First" },
      { position: 2, connection_name: "Second" },
    ]);
    const byName = (name: string) => run.jobs.find((job) => job.connection_name === name)!;
    const [first, second, third] = [byName("First"), byName("Second"), byName("Third")];

    const res = await get(`/api/runs/${run.id}`);
    expect(res.status).toBe(200);
    const detail = await res.json<RunDetail>();
    expect(detail.id).toBe(run.id);
    expect(detail.jobs.map((job) => job.id)).toEqual([first.id, second.id, third.id]);
    expect(detail.jobs.map((job) => job.connection_name)).toEqual(["First", "Second", "Third"]);
  });

  it("answers a failed job with counters, its error and hint, contract version, duration and run", async () => {
    const { get } = await viewerApp();
    const base = freshBase();
    const run = await makeRun({ created_at: base, status: "failed", mode: "live", credential_name: "Fleet" }, [
      {
        status: "failed",
        connection_version: 7,
        in_scope: 40,
        processed: 12,
        updated: 10,
        failed: 2,
        bytes_sent: 2_048,
        error_code: "method_not_allowed",
        error_http_status: 405,
        error_message: "PATCH https://dest.example/devices/SN-3 answered 405",
        error_hint: "Verify method in Update API Contract.",
        started_at: base + 100,
        finished_at: base + 4_100,
        duration_ms: 4_000,
      },
    ]);
    const job = run.jobs[0]!;

    const res = await get(`/api/jobs/${job.id}`);
    expect(res.status).toBe(200);
    const detail = await res.json<JobDetail>();
    expect(detail).toMatchObject({
      id: job.id,
      run_id: run.id,
      status: "failed",
      mode: "live",
      connection_version: 7,
      in_scope: 40,
      processed: 12,
      updated: 10,
      failed: 2,
      bytes_sent: 2_048,
      duration_ms: 4_000,
      started_at: new Date(base + 100).toISOString(),
      error: {
        code: "method_not_allowed",
        http_status: 405,
        message: "PATCH https://dest.example/devices/SN-3 answered 405",
        hint: "Verify method in Update API Contract.",
      },
      run: { id: run.id, credential_name: "Fleet", mode: "live", status: "failed", type: "full", trigger: "manual" },
    });
  });

  it("shows a running run's and job's ETA as the coordinator last flushed it, and none once finished", async () => {
    const { get } = await viewerApp();
    const run = await makeRun({ created_at: freshBase(), status: "running" }, [{ status: "running", in_scope: 1_000, processed: 400 }]);
    const job = run.jobs[0]!;
    const finishAt = Date.now() + 5 * MINUTE;
    // The flush a coordinator writes: counters, the job's and the run's estimated finish (worker/runs/run-eta.ts).
    const counters = { ...job, in_scope: 1_000, processed: 400 };
    await commit(
      env.LEDGER,
      sliceFlushStatements(env.LEDGER, run.id, {
        outcomes: [],
        logs: [],
        latest: [],
        counters: [{ jobId: job.id, counters, exceptionsOmitted: 0, etaFinishAt: finishAt }],
        runEtaFinishAt: finishAt + MINUTE,
      }),
    );

    const detail = await (await get(`/api/runs/${run.id}`)).json<RunDetail>();
    expect(detail.eta?.finish_at).toBe(new Date(finishAt + MINUTE).toISOString());
    expect(detail.eta?.remaining_ms).toBeGreaterThan(5 * MINUTE);
    expect(detail.eta?.remaining_ms).toBeLessThanOrEqual(6 * MINUTE);
    expect(detail.jobs[0]!.eta?.finish_at).toBe(new Date(finishAt).toISOString());
    const listed = (await (await get(`/api/runs?credential=${run.credential_id}`)).json<RunPage>()).data[0]!;
    expect(listed.eta).toEqual({ finish_at: detail.eta?.finish_at, remaining_ms: expect.any(Number) });
    expect((await (await get(`/api/jobs/${job.id}`)).json<JobDetail>()).eta?.finish_at).toBe(new Date(finishAt).toISOString());

    const finished = await makeRun({ created_at: freshBase(), status: "completed" });
    await commit(env.LEDGER, sliceFlushStatements(env.LEDGER, finished.id, { outcomes: [], logs: [], latest: [], counters: [], runEtaFinishAt: finishAt }));
    const done = await (await get(`/api/runs/${finished.id}`)).json<RunDetail>();
    expect([done.eta, done.jobs[0]!.eta]).toEqual([null, null]);
  });

  it("says a completed run and job with failed records completed with them, in the list, the run and the job", async () => {
    const { get } = await viewerApp();
    const base = freshBase();
    const credential = `cred_quiet_${base}`;
    const run = await makeRun({ created_at: base, status: "completed", mode: "live", credential_id: credential }, [
      { status: "completed", in_scope: 40, processed: 40, updated: 37, failed: 3 },
      { status: "completed", in_scope: 10, processed: 10, updated: 9, failed: 1 },
      { status: "completed", in_scope: 5, processed: 5, updated: 5, failed: 0 },
    ]);
    const clean = await makeRun({ created_at: base + MINUTE, status: "completed", credential_id: credential }, [{ status: "completed", failed: 0 }]);

    const list = await (await get(`/api/runs?credential=${credential}`)).json<RunPage>();
    expect(list.data.map((r) => [r.id, r.failed_records, r.status_detail])).toEqual([
      [clean.id, 0, null],
      [run.id, 4, "Completed with 4 failed records"],
    ]);
    const detail = await (await get(`/api/runs/${run.id}`)).json<RunDetail>();
    expect(detail.jobs.map((job) => [job.failed_records, job.status_detail])).toEqual([
      [3, "Completed with 3 failed records"],
      [1, "Completed with 1 failed record"],
      [0, null],
    ]);
    const job = await (await get(`/api/jobs/${run.jobs[0]!.id}`)).json<JobDetail>();
    expect(job).toMatchObject({ status: "completed", failed_records: 3, status_detail: "Completed with 3 failed records" });
  });

  it("answers 404 for an unknown run or job", async () => {
    const { get } = await viewerApp();
    for (const path of ["/api/runs/run_nope", "/api/jobs/job_nope"]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect((await res.json<{ error: { code: string } }>()).error.code).toBe("not_found");
    }
  });
});
