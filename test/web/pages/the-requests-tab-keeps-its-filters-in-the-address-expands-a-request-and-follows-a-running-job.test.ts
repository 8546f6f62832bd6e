import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeJobDetail, makeRequestEntry } from "../factories";
import type { RequestEntry } from "../../../web/src/lib/request-log";
import type { JobDetail } from "../../../web/src/lib/run-types";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_test", role: "operator", name: "e2e-operator" }));
});

const { default: JobDetailPage } = await import("../../../web/src/pages/JobDetailPage.svelte");
const { router } = await import("../../../web/src/lib/router.svelte");
const { runs } = await import("../../../web/src/state/runs.svelte");

// The API as the browser's fetch sees it: the job, its run, and its request log filtered as
// GET /api/jobs/{id}/requests filters (serial, status class, method, phase, url substring; newest last; a cursor is a seq).
function serveJob(job: JobDetail, log: () => RequestEntry[], limit = 100) {
  const requestQueries: URLSearchParams[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), "http://localhost");
      const query = url.searchParams;
      if (url.pathname === `/api/jobs/${job.id}`) return jsonResponse(job);
      if (url.pathname === `/api/runs/${job.run_id}`) return jsonResponse({ ...job.run, jobs: [job] });
      if (url.pathname === `/api/jobs/${job.id}/requests`) {
        requestQueries.push(query);
        const after = Number(query.get("cursor") ?? 0);
        const matching = log().filter(
          (entry) =>
            entry.seq > after &&
            (!query.get("serial") || entry.serials.includes(query.get("serial")!)) &&
            (!query.get("method") || entry.method === query.get("method")) &&
            (!query.get("status") || String(entry.status ?? "error").startsWith(query.get("status")!.replace("xx", ""))) &&
            (!query.get("url") || entry.url.includes(query.get("url")!)),
        );
        const data = matching.slice(0, limit);
        return jsonResponse({ data, next_cursor: matching.length > limit ? String(data.at(-1)!.seq) : null });
      }
      throw new Error(`unexpected request ${url.pathname}`);
    }),
  );
  return requestQueries;
}

function open(job: JobDetail, search: string) {
  router.navigate(`/jobs/${job.id}${search}`, { replace: true });
  render(JobDetailPage, { params: { id: job.id } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  router.navigate("/", { replace: true });
});

describe("the Requests tab of a job", () => {
  it("asks for what the address holds, writes each filter into it, and expands a request's headers and bodies", async () => {
    const job = makeJobDetail({ status: "completed" }, { status: "completed" });
    const lookup = makeRequestEntry({ serials: ["DEV-00007"], url: "https://sandbox.example/devices/DEV-00007" });
    const write = makeRequestEntry({
      phase: "update",
      method: "PUT",
      url: "https://sandbox.example/devices/DEV-00007",
      serials: ["DEV-00007"],
      request_body: '{"status":"retired"}',
      status: 503,
      attempt: 2,
      retry_reason: "server_error",
      concurrency: 3,
      duration_ms: 1250,
    });
    const queries = serveJob(job, () => [lookup, write]);

    open(job, "?tab=requests&serial=DEV-00007");

    const table = await screen.findByRole("table");
    expect(queries.at(-1)?.get("serial")).toBe("DEV-00007");
    expect((screen.getByLabelText("Serial") as HTMLInputElement).value).toBe("DEV-00007");
    const row = within(table).getAllByRole("row")[2]!;
    for (const cell of ["Write", "PUT", "503", "1.3s", "2", "Server error", "3 at once", "DEV-00007"]) {
      expect(within(row).getByText(cell)).toBeTruthy();
    }
    // The URL is the row's header, set in pieces so it wraps between path segments: whole in its name.
    expect(within(row).getByRole("rowheader", { name: "https://sandbox.example/devices/DEV-00007" })).toBeTruthy();

    await fireEvent.change(screen.getByLabelText("Status"), { target: { value: "5xx" } });
    expect(window.location.search).toBe("?tab=requests&serial=DEV-00007&status=5xx");
    expect(await screen.findAllByRole("button", { name: /^Details of request/ })).toHaveLength(1);
    expect(queries.at(-1)?.get("status")).toBe("5xx");

    const details = screen.getByRole("button", { name: `Details of request ${write.seq}` });
    expect(details.getAttribute("aria-expanded")).toBe("false");
    await fireEvent.click(details);
    expect(details.getAttribute("aria-expanded")).toBe("true");
    const expanded = document.getElementById(details.getAttribute("aria-controls")!)!;
    expect(expanded.textContent).toMatch(/authorization\s*\[redacted\]/);
    expect(expanded.textContent).toContain('{"status":"retired"}');
    expect(expanded.textContent).toMatch(/Sent while the job allowed 3 requests in flight/);
    expect(within(expanded).getByRole("group", { name: "Retry DEV-00007" })).toBeTruthy();

    await fireEvent.click(screen.getByRole("link", { name: "Clear filters" }));
    expect(window.location.search).toBe("?tab=requests");
    expect(await screen.findAllByRole("button", { name: /^Details of request/ })).toHaveLength(2);
  });

  it("says bodies are shown to operators when the API hid them", async () => {
    const job = makeJobDetail({ status: "completed" }, { status: "completed" });
    // Recorded before the concurrency was: the inspector shows none rather than a guess.
    const hidden = makeRequestEntry({ request_body: null, response_body: null, bodies_hidden: true, concurrency: null });
    serveJob(job, () => [hidden]);

    open(job, "?tab=requests");
    await fireEvent.click(await screen.findByRole("button", { name: `Details of request ${hidden.seq}` }));

    expect(screen.getAllByText(/Bodies are shown to operators/)).toHaveLength(2);
    expect(screen.queryByText(/Sent while the job allowed/)).toBeNull();
  });

  it("reads the newest requests each time the live feed reports the running job's progress, from the last page it holds", async () => {
    const job = makeJobDetail({ status: "running", processed: 1 }, { status: "running" });
    const log = [makeRequestEntry(), makeRequestEntry(), makeRequestEntry()];
    const queries = serveJob(job, () => log, 2);
    const rows = () => screen.queryAllByRole("button", { name: /^Details of request/ }).length;

    open(job, "?tab=requests");
    await vi.waitFor(() => expect(rows()).toBe(2));
    await fireEvent.click(screen.getByRole("button", { name: "Load more requests" }));
    await vi.waitFor(() => expect(rows()).toBe(3));
    const asked = queries.length;

    log.push(makeRequestEntry({ method: "PUT", phase: "update", url: "https://sandbox.example/devices/new" }));
    runs.apply([{ type: "job", job: { ...job, processed: 2, bytes_sent: 512 }, seq: 1_000 }]);

    expect(await screen.findByRole("rowheader", { name: "https://sandbox.example/devices/new" })).toBeTruthy();
    expect(rows()).toBe(4);
    expect(queries.slice(asked).map((query) => query.get("cursor"))).toEqual([String(log[1]!.seq)]);
    expect(screen.queryByRole("button", { name: "Load more requests" })).toBeNull();
  });
});
