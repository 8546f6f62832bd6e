import { describe, expect, it } from "vitest";
import type { BulkRunPreview, BulkRunResult } from "../../../worker/schemas/bulk-runs";
import type { RunDetail } from "../../../worker/schemas/runs";
import { makeConnection, makeCredential, makeRun } from "../factories";
import { call, errorOf } from "./config-api";

// A credential of its own per test, so the filter `credential` matches only the runs the test made.
async function fleet(runs: Array<{ status: "pending" | "completed" | "failed" | "canceled"; jobFailed?: boolean }>) {
  const credential = await makeCredential();
  const connection = await makeConnection(credential);
  const made = [];
  for (const run of runs) {
    const job = { connection_id: connection.id, connection_name: connection.name, ...(run.jobFailed ? { status: "failed" as const } : {}) };
    made.push(await makeRun({ credential_id: credential.id, credential_name: credential.name, status: run.status }, [job]));
  }
  return { credential, runs: made };
}

const status = async (id: string) => (await call<RunDetail>("GET", `/api/runs/${id}`, { as: "viewer" })).body.status;

describe("bulk actions on runs", () => {
  it("preview counts, for each action, the matching runs it applies to", async () => {
    const { credential, runs } = await fleet([{ status: "pending" }, { status: "pending" }, { status: "completed" }, { status: "failed" }]);
    const preview = (action: string, extra: Record<string, unknown> = {}) =>
      call<BulkRunPreview>("POST", "/api/runs/bulk/preview", { as: "viewer", body: { credential: credential.id, action, ...extra } });

    const cancel = await preview("cancel");
    expect(cancel.status).toBe(200);
    expect(cancel.body).toEqual({ count: 2, over_limit: false, run_ids: [runs[1]!.id, runs[0]!.id] });
    expect((await preview("rerun")).body.count).toBe(2);
    expect((await preview("rerun", { status: "failed" })).body.run_ids).toEqual([runs[3]!.id]);
    expect((await preview("cancel", { status: "completed" })).body.count).toBe(0);
  });

  it("cancel needs an operator and the count the person confirmed, then cancels every matching run", async () => {
    const { credential, runs } = await fleet([{ status: "pending" }, { status: "pending" }, { status: "completed" }]);
    const cancel = (as: "viewer" | "operator", expected: number) =>
      call<BulkRunResult>("POST", "/api/runs/bulk/cancel", { as, body: { credential: credential.id, expected_count: expected } });

    expect((await cancel("viewer", 2)).status).toBe(403);
    const stale = await cancel("operator", 3);
    expect(stale.status).toBe(409);
    expect(errorOf(stale)).toMatchObject({ code: "count_changed", meta: { count: 2, expected_count: 3 } });
    expect(await status(runs[0]!.id)).toBe("pending");

    const done = await cancel("operator", 2);
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ count: 2, done: [runs[1]!.id, runs[0]!.id], new_run_ids: [], skipped: [] });
    expect([await status(runs[0]!.id), await status(runs[1]!.id), await status(runs[2]!.id)]).toEqual(["canceled", "canceled", "completed"]);
  });

  it("rerun starts a new run for each finished match and reports the ones its scope refuses", async () => {
    const { credential, runs } = await fleet([{ status: "completed" }, { status: "failed", jobFailed: true }]);
    const rerun = (as: "viewer" | "operator", body: Record<string, unknown>) =>
      call<BulkRunResult>("POST", "/api/runs/bulk/rerun", { as, body: { credential: credential.id, ...body } });

    expect((await rerun("viewer", { expected_count: 2 })).status).toBe(403);
    const result = await rerun("operator", { expected_count: 2, scope: "failed" });
    expect(result.status).toBe(202);
    expect(result.body.done).toEqual([runs[1]!.id]);
    expect(result.body.skipped).toEqual([{ run_id: runs[0]!.id, code: "validation_failed", message: expect.stringContaining("no failed connections") }]);
    const [newRunId] = result.body.new_run_ids;
    const created = (await call<RunDetail>("GET", `/api/runs/${newRunId}`, { as: "viewer" })).body;
    expect(created).toMatchObject({ credential_id: credential.id, rerun_of: runs[1]!.id, trigger: "rerun" });
  });

  it("refuses filters it does not know and a missing count, naming the field", async () => {
    const unknown = await call("POST", "/api/runs/bulk/cancel", { as: "operator", body: { credentail: "x", expected_count: 1 } });
    expect(unknown.status).toBe(400);
    const missing = await call("POST", "/api/runs/bulk/rerun", { as: "operator", body: { status: "failed" } });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).details.map((issue) => issue.path)).toContain("expected_count");
    const badTime = await call("POST", "/api/runs/bulk/preview", { as: "viewer", body: { action: "cancel", since: "yesterday-ish" } });
    expect(badTime.status).toBe(400);
    expect(errorOf(badTime).details.map((issue) => issue.path)).toEqual(["since"]);
  });
});
