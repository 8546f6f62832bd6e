import "@testing-library/svelte/vitest";
import { render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import type { RecordOutcome, RunDetail } from "../../../web/src/lib/run-types";
import { jsonResponse, makeRecord, makeRunDetail } from "../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_v_test", role: "viewer", name: "e2e-viewer" }));
});

const { default: ComparePage } = await import("../../../web/src/pages/ComparePage.svelte");
const { router } = await import("../../../web/src/lib/router.svelte");

// Runs by id and each job's record outcomes, filtered by action and serial as the API filters them.
function serve(runs: RunDetail[], records: RecordOutcome[]): void {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), "http://localhost");
      if (url.pathname === "/api/runs") return jsonResponse({ data: runs, next_cursor: null });
      const run = runs.find((candidate) => url.pathname === `/api/runs/${candidate.id}`);
      if (run) return jsonResponse(run);
      const jobId = /^\/api\/jobs\/([^/]+)\/records$/.exec(url.pathname)?.[1];
      if (jobId) {
        const action = url.searchParams.get("action");
        const serial = url.searchParams.get("serial") ?? "";
        const data = records.filter((record) => record.job_id === jobId && (!action || record.action === action) && record.serial.startsWith(serial));
        return jsonResponse({ data, next_cursor: null });
      }
      throw new Error(`unexpected request ${url.pathname}`);
    }),
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
});

it("lists each serial the dry run planned with what the apply run did, and what changed since the plan for a drifted one", async () => {
  const connection = { connection_id: "conn_json", connection_name: "Device status (JSON)", status: "completed" as const };
  const dry = makeRunDetail({ id: "run_dry", mode: "dry", status: "completed" }, [{ ...connection, would_update: 3 }]);
  const apply = makeRunDetail({ id: "run_apply", mode: "live", status: "completed", plan_run_id: "run_dry" }, [
    { ...connection, updated: 1, verify_mismatch: 1, drifted: 1 },
  ]);
  const dryJob = dry.jobs[0]?.id ?? "";
  const applyJob = apply.jobs[0]?.id ?? "";
  serve(
    [dry, apply],
    [
      ...["DEV-00001", "DEV-00002", "DEV-00003"].map((serial) => makeRecord({ job_id: dryJob, serial, action: "would_update" })),
      makeRecord({ job_id: applyJob, serial: "DEV-00001", action: "updated" }),
      makeRecord({
        job_id: applyJob,
        serial: "DEV-00002",
        action: "verify_mismatch",
        differences: [{ field: "firmware", expected: "2.1.0", found: "2.0.9", side: "stored" }],
      }),
      makeRecord({
        job_id: applyJob,
        serial: "DEV-00003",
        action: "drifted",
        differences: [{ field: "status", expected: "active", found: "retired", side: "destination" }],
      }),
    ],
  );
  router.navigate("/compare?a=run_dry&b=run_apply");
  render(ComparePage);

  const planned = await screen.findByRole("region", { name: "Planned serials" });
  await waitFor(() => expect(planned.textContent).toContain("3 planned: 1 Updated, 1 Verify Mismatch, 1 Drifted."));
  const row = (serial: string) =>
    within(planned)
      .getByRole("row", { name: new RegExp(serial) })
      .textContent?.replace(/\s+/g, " ") ?? "";
  expect(row("DEV-00001")).toMatch(/Would Update\s?Updated/);
  expect(row("DEV-00002")).toContain("firmware: 2.1.0 →but found 2.0.9 (the destination stored)");
  expect(row("DEV-00002")).toContain("The destination accepted the write but stored a different value for firmware.");
  expect(row("DEV-00003")).toContain("status: active →but found retired (changed in the destination since the plan)");
  expect(row("DEV-00003")).toContain("Not written: status changed in the destination since the plan. Run a new dry run to plan it again.");

  // The serials that did not go as planned are also among those whose outcome differs; the updated one is not.
  const differs = screen.getByRole("region", { name: "Serials whose outcome differs" });
  expect(within(differs).queryByRole("row", { name: /DEV-00001/ })).toBeNull();
  expect(within(differs).getByRole("row", { name: /DEV-00003/ }).textContent).toContain("Drifted");
});

it("shows no planned serials for two runs where neither applies the other", async () => {
  const a = makeRunDetail({ id: "run_a", mode: "dry", status: "completed" }, [{ status: "completed" }]);
  const b = makeRunDetail({ id: "run_b", mode: "live", status: "completed" }, [{ status: "completed", connection_id: a.jobs[0]?.connection_id }]);
  serve([a, b], []);
  router.navigate("/compare?a=run_a&b=run_b");
  render(ComparePage);

  await screen.findByRole("region", { name: "Serials whose outcome differs" });
  await screen.findByText("Every serial has the same outcome");
  expect(screen.queryByRole("region", { name: "Planned serials" })).toBeNull();
});
