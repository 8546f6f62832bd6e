import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import { jobWaitingStatement } from "../../../worker/ledger/destination-breakers";
import { commit } from "../../../worker/ledger/run-writes";
import type { RunDetail, RunSummary } from "../../../worker/schemas/runs";
import { api, makeRun } from "../factories";

// A run whose job an open destination breaker holds back says so in the list too, not only in its detail: an
// operator scanning runs sees why a running run stands still.
it("gives each running run the breaker its waiting job waits on, in the list and the detail, and null otherwise", async () => {
  const probeAt = Date.now() + 90_000;
  const waiting = await makeRun({ status: "running", mode: "live" }, [{ status: "completed" }, { status: "running" }]);
  const moving = await makeRun({ status: "running", mode: "live" }, [{ status: "running" }]);
  // A job canceled while it waited keeps the columns, but nothing holds its finished run back.
  const finished = await makeRun({ status: "canceled", mode: "live" }, [{ status: "canceled" }]);
  await commit(env.LEDGER, [
    jobWaitingStatement(env.LEDGER, waiting.jobs[1]!.id, { host: "api.example.com", until: probeAt }),
    jobWaitingStatement(env.LEDGER, finished.jobs[0]!.id, { host: "api.example.com", until: probeAt }),
  ]);
  const expected = {
    host: "api.example.com",
    next_probe_at: new Date(probeAt).toISOString(),
    reason: `Paused: destination api.example.com is failing; next probe at ${new Date(probeAt).toISOString()}`,
  };

  const listed = async (credentialId: string, query = "") =>
    (await api<{ data: RunSummary[] }>("GET", `/api/runs?credential=${credentialId}${query}`)).body.data[0]?.waiting;
  expect(await listed(waiting.credential_id)).toEqual(expected);
  expect(await listed(waiting.credential_id, "&status=running")).toEqual(expected);
  expect(await listed(moving.credential_id)).toBeNull();
  expect(await listed(finished.credential_id)).toBeNull();

  expect((await api<RunDetail>("GET", `/api/runs/${waiting.id}`)).body.waiting).toEqual(expected);
  expect((await api<RunDetail>("GET", `/api/runs/${moving.id}`)).body.waiting).toBeNull();
  expect((await api<RunDetail>("GET", `/api/runs/${finished.id}`)).body.waiting).toBeNull();

  // The breaker closed: the job goes on, and so does the run.
  await commit(env.LEDGER, [jobWaitingStatement(env.LEDGER, waiting.jobs[1]!.id, null)]);
  expect(await listed(waiting.credential_id)).toBeNull();
});
