import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import JobsPage from "../../../web/src/pages/JobsPage.svelte";
import JobDetailPage from "../../../web/src/pages/JobDetailPage.svelte";
import { router } from "../../../web/src/lib/router.svelte";
import { withRouterPerTest } from "../factories/router";
import { jsonResponse, makeErrorBody, makeJobDetail, makeRunDetail } from "../factories";

// Alerts, webhooks, MCP and the CLI link a run as /jobs?run=<id> (shared/dashboard-paths.ts).
const RUN = makeRunDetail({ id: "run_linked01", status: "failed", credential_name: "Linked fleet" }, [
  { connection_name: "Billing devices", status: "failed" },
  { connection_name: "Warehouse devices", status: "canceled" },
]);

function serve(): string[] {
  const paths: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), "http://localhost");
      paths.push(url.pathname);
      if (url.pathname === `/api/runs/${RUN.id}`) return jsonResponse(RUN);
      if (url.pathname.startsWith("/api/runs/")) return jsonResponse(makeErrorBody("not_found", `No run with id ${url.pathname.slice(10)}.`), 404);
      if (url.pathname === "/api/runs") return jsonResponse({ data: [], next_cursor: null });
      if (url.pathname === "/api/credentials" || url.pathname === "/api/connections") return jsonResponse({ data: [], next_cursor: null });
      throw new Error(`unexpected request ${url.pathname}`);
    }),
  );
  return paths;
}

withRouterPerTest();

describe("a run's link", () => {
  it("opens that run with its connections, instead of the whole list", async () => {
    const paths = serve();
    router.navigate(`/jobs?status=failed&run=${RUN.id}`);
    render(JobsPage);

    expect(await screen.findByRole("heading", { name: `Run ${RUN.id}` })).toBeTruthy();
    expect(await screen.findByText("Billing devices")).toBeTruthy();
    expect(screen.getByText("Warehouse devices")).toBeTruthy();
    expect(screen.getByText("Linked fleet")).toBeTruthy();
    expect(paths).toContain(`/api/runs/${RUN.id}`);
    expect(paths).not.toContain("/api/runs");

    await fireEvent.click(screen.getByRole("link", { name: "Show every run" }));
    expect(window.location.pathname + window.location.search).toBe("/jobs?status=failed");
    expect(await screen.findByText("No runs match these filters")).toBeTruthy();
    expect(screen.queryByRole("heading", { name: `Run ${RUN.id}` })).toBeNull();
  });

  it("says so when the run does not exist", async () => {
    serve();
    router.navigate("/jobs?run=run_gone");
    render(JobsPage);

    expect(await screen.findByText("Could not load this run.")).toBeTruthy();
    expect(screen.getByText(/No run with id run_gone\./)).toBeTruthy();
  });

  it("is where a job's page sends its run id and its breadcrumb", async () => {
    const job = makeJobDetail({ id: "job_linked", run_id: RUN.id }, { id: RUN.id, credential_name: "Linked fleet" });
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL) => {
        const url = new URL(String(input), "http://localhost");
        if (url.pathname === `/api/jobs/${job.id}`) return jsonResponse(job);
        if (url.pathname === `/api/runs/${RUN.id}`) return jsonResponse(RUN);
        if (url.pathname === "/api/runs") return jsonResponse({ data: [], next_cursor: null });
        throw new Error(`unexpected request ${url.pathname}`);
      }),
    );
    router.navigate(`/jobs/${job.id}`);
    render(JobDetailPage, { params: { id: job.id } });

    const crumb = await screen.findByRole("link", { name: "Linked fleet" });
    expect(crumb.getAttribute("href")).toBe(`/jobs?run=${RUN.id}`);
    expect(screen.getByRole("link", { name: RUN.id }).getAttribute("href")).toBe(`/jobs?run=${RUN.id}`);
  });

  it("compares the run by picking the other one on the Compare page", async () => {
    serve();
    router.navigate(`/jobs?run=${RUN.id}`);
    render(JobsPage);

    await fireEvent.click(await screen.findByRole("checkbox", { name: /Compare/ }));
    expect(window.location.pathname + window.location.search).toBe(`/compare?a=${RUN.id}`);
  });
});
