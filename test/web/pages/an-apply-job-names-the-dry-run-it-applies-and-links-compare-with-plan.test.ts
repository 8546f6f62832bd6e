import "@testing-library/svelte/vitest";
import { render, screen } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import type { JobDetail, RunDetail } from "../../../web/src/lib/run-types";
import { formatShortAbsolute } from "../../../web/src/lib/format";
import { jsonResponse, makeRunDetail } from "../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_test", role: "operator", name: "e2e-operator" }));
});

const { default: JobDetailPage } = await import("../../../web/src/pages/JobDetailPage.svelte");

function jobDetail(run: RunDetail, index: number): JobDetail {
  const job = run.jobs[index];
  if (!job) throw new Error("no such job");
  const { id, credential_id, credential_name, type, serial, mode, trigger, requested_by, status } = run;
  return { ...job, run: { id, credential_id, credential_name, type, serial, mode, trigger, requested_by, status } };
}

function serve(runs: RunDetail[], job: JobDetail): void {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path === `/api/jobs/${job.id}`) return jsonResponse(job);
      const run = runs.find((candidate) => path === `/api/runs/${candidate.id}`);
      if (run) return jsonResponse(run);
      throw new Error(`unexpected request ${path}`);
    }),
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
});

it("names the dry run an apply job applies, linking its job of the same connection, and links Compare with plan", async () => {
  const dry = makeRunDetail({ id: "run_dry_plan", mode: "dry", status: "completed" }, [
    { connection_id: "conn_json", connection_name: "Device status (JSON)", status: "completed", created_at: "2026-11-22T09:30:00.000Z" },
    { connection_id: "conn_xml", connection_name: "Device status (XML)", status: "completed" },
  ]);
  const apply = makeRunDetail({ id: "run_apply", mode: "live", status: "completed", plan_run_id: "run_dry_plan" }, [
    { connection_id: "conn_json", connection_name: "Device status (JSON)", status: "completed" },
    { connection_id: "conn_xml", connection_name: "Device status (XML)", status: "completed" },
  ]);
  serve([dry, apply], jobDetail(apply, 0));
  render(JobDetailPage, { params: { id: apply.jobs[0]?.id ?? "" } });

  const note = await screen.findByRole("note");
  const dryLink = await screen.findByRole("link", { name: `Device status (JSON), ${formatShortAbsolute("2026-11-22T09:30:00.000Z")}` });
  expect(dryLink.getAttribute("href")).toBe(`/jobs/${dry.jobs[0]?.id}`);
  expect(note.textContent?.replace(/\s+/g, " ")).toContain(
    `Applies dry run Device status (JSON), ${formatShortAbsolute("2026-11-22T09:30:00.000Z")}. Only its planned serials are written`,
  );
  expect(screen.getByRole("link", { name: "Compare with plan" }).getAttribute("href")).toBe("/compare?a=run_dry_plan&b=run_apply");
  expect(screen.queryByRole("button", { name: "Apply this dry run" })).toBeNull();
});

it("offers no plan note on a live job that applies no plan", async () => {
  const live = makeRunDetail({ mode: "live", status: "completed" }, [{ status: "completed" }]);
  serve([live], jobDetail(live, 0));
  render(JobDetailPage, { params: { id: live.jobs[0]?.id ?? "" } });

  await screen.findByRole("heading", { level: 1, name: live.jobs[0]?.connection_name });
  expect(screen.queryByRole("link", { name: "Compare with plan" })).toBeNull();
  expect(screen.queryByRole("button", { name: "Apply this dry run" })).toBeNull();
});
