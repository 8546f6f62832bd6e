import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import ConnectionSerialsPanel from "../../../../web/src/components/connections/ConnectionSerialsPanel.svelte";
import type { ConnectionSerial, ConnectionSerialPage } from "../../../../worker/schemas/connection-serials";
import { jsonResponse, serialCounts } from "../../factories";
import { router } from "../../../../web/src/lib/router.svelte";
import { ACTIONS_WORST_FIRST } from "../../../../shared/outcome-order";
import { RECORD_ACTIONS } from "../../../../worker/engine/reconcile";

function serial(overrides: Partial<ConnectionSerial>): ConnectionSerial {
  return {
    serial: "DEV-00001",
    action: "failed",
    since: "2026-12-07T10:00:00.000Z",
    job_id: "job_1",
    run_id: "run_1",
    mode: "live",
    job_kept: true,
    ...overrides,
  };
}

// The serials route as a fetch stub answering from the query it is asked with; every URL asked is kept.
function stubSerials(answer: (query: URLSearchParams) => ConnectionSerialPage): URL[] {
  const asked: URL[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), "http://localhost");
      if (url.pathname !== "/api/connections/conn_1/serials") throw new Error(`unexpected request ${url.pathname}`);
      asked.push(url);
      return jsonResponse(answer(url.searchParams));
    }),
  );
  return asked;
}

const rows = () =>
  within(screen.getByRole("table", { name: "Each serial's latest outcome on this connection" }))
    .getAllByRole("row")
    .slice(1)
    .map((row) => [...row.children].map((cell) => cell.textContent!.replace(/\s+/g, " ").trim()).join(" | "));

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("ConnectionSerialsPanel", () => {
  it("orders the counts over every record action, each once", () => {
    expect([...ACTIONS_WORST_FIRST].sort()).toEqual([...RECORD_ACTIONS].sort());
  });

  it("shows the counts failures first, each serial's latest outcome, and links to the job and its requests", async () => {
    stubSerials(() => ({
      data: [
        serial({ serial: "DEV-00001" }),
        serial({ serial: "DEV-00002", action: "would_update", mode: "dry", job_id: "job_2" }),
        serial({ serial: "DEV-00003", action: "missing_destination", mode: null, job_kept: false, job_id: "job_old" }),
      ],
      next_cursor: null,
      counts: serialCounts({ skipped_no_change: 420, failed: 1, would_update: 1, missing_destination: 10_001 }),
      count_cap: 10_000,
    }));
    render(ConnectionSerialsPanel, { connectionId: "conn_1", lastRunAt: null });

    const tally = await screen.findByRole("group", { name: "Serials by latest outcome" });
    expect(
      within(tally)
        .getAllByRole("button")
        .map((b) => b.textContent!.replace(/\s+/g, " ").trim()),
    ).toEqual(["All", "Failed 1", "Missing Destination 10,000+", "Would Update 1", "Skipped (no change) 420"]);
    expect(rows()[0]).toMatch(/^DEV-00001 \| Failed \| .+ ago \| Job ?Requests$/);
    expect(rows()[1]).toMatch(/^DEV-00002 \| Would Update ?dry run \| /);
    expect(rows()[2]).toMatch(/^DEV-00003 \| Missing Destination \| .+ \| Job deleted by retention$/);
    expect(screen.getByRole("link", { name: "Job that recorded DEV-00001" }).getAttribute("href")).toBe("/jobs/job_1");
    expect(screen.getByRole("link", { name: "Requests of DEV-00001" }).getAttribute("href")).toBe("/jobs/job_1?tab=requests&serial=DEV-00001");
  });

  it("asks the API for one outcome, then for a serial prefix within it, and says when nothing matches", async () => {
    const asked = stubSerials((query) => ({
      data: query.get("serial") === "XYZ" ? [] : [serial({})],
      next_cursor: null,
      counts: serialCounts({ failed: 1, skipped_no_change: 2 }),
      count_cap: 10_000,
    }));
    render(ConnectionSerialsPanel, { connectionId: "conn_1", lastRunAt: null });
    await fireEvent.click(await screen.findByRole("button", { name: /^Failed/ }));
    expect(screen.getByRole("button", { name: /^Failed/ }).getAttribute("aria-pressed")).toBe("true");
    expect(asked.at(-1)!.searchParams.get("action")).toBe("failed");

    await fireEvent.input(screen.getByLabelText("Serial starts with"), { target: { value: " XYZ " } });
    await fireEvent.submit(screen.getByRole("search", { name: "Serials of this connection" }));
    expect(await screen.findByText("No serials match")).toBeTruthy();
    expect(Object.fromEntries(asked.at(-1)!.searchParams)).toMatchObject({ action: "failed", serial: "XYZ" });
  });

  it("opens on the outcome the address names (?serials=failed), as the connection list's link asks", async () => {
    router.navigate("/connections/conn_1?serials=failed#section-serials");
    try {
      const asked = stubSerials(() => ({ data: [serial({})], next_cursor: null, counts: serialCounts({ failed: 1, updated: 4 }), count_cap: 10_000 }));
      render(ConnectionSerialsPanel, { connectionId: "conn_1", lastRunAt: null });
      expect((await screen.findByRole("button", { name: "Failed 1" })).getAttribute("aria-pressed")).toBe("true");
      expect(asked[0]!.searchParams.get("action")).toBe("failed");
    } finally {
      router.navigate("/", { replace: true });
    }
  });

  it("exports the serials the filters match as a CSV file, and says when the export fails", async () => {
    const asked: URL[] = [];
    let fail = false;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL) => {
        const url = new URL(String(input), "http://localhost");
        asked.push(url);
        if (url.searchParams.get("format") !== "csv")
          return jsonResponse({ data: [serial({})], next_cursor: null, counts: serialCounts({ failed: 1 }), count_cap: 10_000 });
        if (fail) return jsonResponse({ error: { code: "unavailable", message: "The ledger is unavailable", details: [] } }, 503);
        return new Response("serial,action\r\nDEV-00001,failed\r\n", { headers: { "content-type": "text/csv" } });
      }),
    );
    const blobs: Blob[] = [];
    const downloads: string[] = [];
    vi.stubGlobal(
      "URL",
      class extends URL {
        static override createObjectURL = (blob: Blob) => (blobs.push(blob), "blob:serials");
        static override revokeObjectURL = () => {};
      },
    );
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      downloads.push(this.download);
    });
    try {
      render(ConnectionSerialsPanel, { connectionId: "conn_1", lastRunAt: null });
      await fireEvent.click(await screen.findByRole("button", { name: /^Failed/ }));
      await fireEvent.click(screen.getByRole("button", { name: "Export CSV" }));
      await vi.waitFor(() => expect(downloads).toEqual(["conn_1-serials.csv"]));
      expect(Object.fromEntries(asked.at(-1)!.searchParams)).toEqual({ action: "failed", format: "csv" });
      expect(await blobs[0]!.text()).toBe("serial,action\r\nDEV-00001,failed\r\n");

      fail = true;
      await fireEvent.click(screen.getByRole("button", { name: "Export CSV" }));
      expect((await screen.findByRole("alert")).textContent).toContain("Export failed: The ledger is unavailable");
    } finally {
      click.mockRestore();
    }
  });

  it("reads the list again when a run of the connection finishes", async () => {
    let failed = 1;
    const asked = stubSerials(() => ({ data: [serial({})], next_cursor: null, counts: serialCounts({ failed }), count_cap: 10_000 }));
    const view = render(ConnectionSerialsPanel, { connectionId: "conn_1", lastRunAt: "2026-12-07T10:00:00.000Z" });
    await screen.findByRole("button", { name: "Failed 1" });
    failed = 2;
    await view.rerender({ connectionId: "conn_1", lastRunAt: "2026-12-07T11:00:00.000Z" });
    expect(await screen.findByRole("button", { name: "Failed 2" })).toBeTruthy();
    expect(asked).toHaveLength(2);
  });
});
