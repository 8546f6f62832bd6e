import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeJobDetail, makeRecord, makeRequestEntry, makeRunDetail } from "../factories";
import type { CreateRunRequest } from "../../../web/src/lib/api";
import type { JobDetail } from "../../../web/src/lib/run-types";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_test", role: "operator", name: "e2e-operator" }));
});

// jsdom's <dialog> has no close(); the component opens it with the attribute when showModal is missing.
HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
  this.removeAttribute("open");
};

const { default: JobDetailPage } = await import("../../../web/src/pages/JobDetailPage.svelte");
const { router } = await import("../../../web/src/lib/router.svelte");

// The API at the browser's fetch: the job with one record and one request about DEV-00042, no earlier runs
// (so the live confirmation has no dry run to cite), and POST /api/runs starting a Single run with one job.
function serveJob(job: JobDetail) {
  const started: CreateRunRequest[] = [];
  const newRun = makeRunDetail({ type: "single", serial: "DEV-00042", status: "pending" }, [{ id: "job_retry", status: "pending" }]);
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), "http://localhost");
      if (url.pathname === `/api/jobs/${job.id}`) return jsonResponse(job);
      if (url.pathname === `/api/runs/${job.run_id}`) return jsonResponse({ ...job.run, jobs: [job] });
      if (url.pathname === `/api/jobs/${job.id}/records`)
        return jsonResponse({ data: [makeRecord({ serial: "DEV-00042", action: "failed" })], next_cursor: null });
      if (url.pathname === `/api/jobs/${job.id}/requests`) return jsonResponse({ data: [makeRequestEntry({ serials: ["DEV-00042"] })], next_cursor: null });
      if (url.pathname === "/api/runs" && init?.method === "POST") {
        started.push(JSON.parse(String(init.body)) as CreateRunRequest);
        return jsonResponse(newRun, 201);
      }
      if (url.pathname === "/api/runs") return jsonResponse({ data: [], next_cursor: null });
      throw new Error(`unexpected request ${url.pathname}`);
    }),
  );
  return started;
}

function open(job: JobDetail, search: string) {
  router.navigate(`/jobs/${job.id}${search}`, { replace: true });
  render(JobDetailPage, { params: { id: job.id } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  router.navigate("/", { replace: true });
});

describe("Retry this serial", () => {
  it("from a record outcome as a dry run: a Single run of the serial on the job's connection, then its job opens", async () => {
    const job = makeJobDetail({ status: "completed", connection_id: "conn_json" }, { status: "completed", credential_id: "cred_fleet" });
    const started = serveJob(job);
    open(job, "?tab=records");

    const row = (await screen.findByText("DEV-00042")).closest("tr")!;
    expect(within(row).getByRole("link", { name: "Requests of DEV-00042" }).getAttribute("href")).toBe(`/jobs/${job.id}?tab=requests&serial=DEV-00042`);
    await fireEvent.click(within(within(row).getByRole("group", { name: "Retry DEV-00042" })).getByRole("button", { name: "Dry" }));

    await vi.waitFor(() => expect(window.location.pathname).toBe("/jobs/job_retry"));
    expect(started).toEqual([{ credential_id: "cred_fleet", type: "single", serial: "DEV-00042", mode: "dry", connection_ids: ["conn_json"] }]);
  });

  it("from a request, live: asks the live-run confirmation first and starts nothing until it is confirmed", async () => {
    const job = makeJobDetail(
      { status: "completed", connection_id: "conn_xml" },
      { status: "completed", credential_id: "cred_fleet", credential_name: "Fleet" },
    );
    const started = serveJob(job);
    open(job, "?tab=requests");

    await fireEvent.click(await screen.findByRole("button", { name: /^Details of request/ }));
    await fireEvent.click(within(screen.getByRole("group", { name: "Retry DEV-00042" })).getByRole("button", { name: "Live" }));

    const dialog = screen.getByRole("dialog", { hidden: true, name: "Start a live Single run?" });
    expect(within(dialog).getByRole("heading", { hidden: true }).textContent).toBe("Start a live Single run?");
    expect(dialog.textContent).toContain("writes to the destination of Fleet for serial DEV-00042");
    await within(dialog).findByText(/There is no dry run of this scope yet/);
    expect(started).toEqual([]);

    await fireEvent.click(within(dialog).getByRole("button", { name: "Start live run", hidden: true }));

    await vi.waitFor(() => expect(window.location.pathname).toBe("/jobs/job_retry"));
    expect(started).toEqual([{ credential_id: "cred_fleet", type: "single", serial: "DEV-00042", mode: "live", connection_ids: ["conn_xml"] }]);
  });
});

describe("Rerun failed", () => {
  // It reruns failed connections: a job that completed with failed records points at their per-serial retry instead.
  it.each([
    [{ status: "completed" as const, failed: 1 }, "This job completed: retry its failed records from the Records tab"],
    [{ status: "completed" as const, failed: 0 }, "Only a failed job has something to rerun"],
  ])("is off for a %o job, saying why", async (overrides, why) => {
    const job = makeJobDetail(overrides, { status: "completed" });
    serveJob(job);
    open(job, "");

    const button = await screen.findByRole("button", { name: "Rerun failed" });
    expect(button).toHaveProperty("disabled", true);
    expect(button.getAttribute("title")).toBe(why);
  });
});
