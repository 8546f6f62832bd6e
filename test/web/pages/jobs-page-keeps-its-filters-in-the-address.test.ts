import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import JobsPage from "../../../web/src/pages/JobsPage.svelte";
import { router } from "../../../web/src/lib/router.svelte";
import { withRouterPerTest } from "../factories/router";
import { jsonResponse, makeRun } from "../factories";

// The browser's fetch is the boundary: each /api/runs call is recorded and answered with runs that fit its query.
function serveRuns() {
  const runQueries: URLSearchParams[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), "http://localhost");
      if (url.pathname === "/api/runs") {
        runQueries.push(url.searchParams);
        const status = url.searchParams.get("status") ?? "completed";
        const type = url.searchParams.get("type") ?? "full";
        return jsonResponse({
          data: [makeRun({ status: status as "failed", type: type as "full", credential_name: `Fleet ${status} ${type}` })],
          next_cursor: null,
        });
      }
      if (url.pathname === "/api/credentials" || url.pathname === "/api/connections") return jsonResponse({ data: [], next_cursor: null });
      throw new Error(`unexpected request ${url.pathname}`);
    }),
  );
  return runQueries;
}

function popped(): Promise<void> {
  return new Promise((resolve) => window.addEventListener("popstate", () => resolve(), { once: true }));
}

withRouterPerTest();

describe("the Outbound Sync Jobs filters", () => {
  it("load what the address asks for, write each change into it, and follow the back button", async () => {
    const queries = serveRuns();
    router.navigate("/jobs?status=failed");

    render(JobsPage);

    expect(await screen.findByText("Fleet failed full")).toBeTruthy();
    expect((screen.getByLabelText("Status") as HTMLSelectElement).value).toBe("failed");
    expect(queries.at(-1)?.get("status")).toBe("failed");
    expect(screen.getByText("1 run matches, newest first")).toBeTruthy();

    await fireEvent.change(screen.getByLabelText("Type"), { target: { value: "single" } });

    expect(window.location.pathname + window.location.search).toBe("/jobs?status=failed&type=single");
    expect(await screen.findByText("Fleet failed single")).toBeTruthy();
    expect(queries.at(-1)?.get("type")).toBe("single");

    const back = popped();
    window.history.back();
    await back;

    expect(await screen.findByText("Fleet failed full")).toBeTruthy();
    expect((screen.getByLabelText("Type") as HTMLSelectElement).value).toBe("");
    expect(queries.at(-1)?.has("type")).toBe(false);
  });

  it("apply a serial when it is committed, and Clear filters empties the address", async () => {
    serveRuns();
    router.navigate("/jobs?mode=dry");
    render(JobsPage);
    await screen.findByText("Fleet completed full");

    const serial = screen.getByLabelText("Serial");
    await fireEvent.input(serial, { target: { value: "DEV-00042" } });
    expect(window.location.search).toBe("?mode=dry");
    await fireEvent.change(serial);
    expect(window.location.search).toBe("?mode=dry&serial=DEV-00042");

    await fireEvent.click(screen.getByRole("button", { name: /Clear filters/ }));
    expect(window.location.search).toBe("");
    expect((screen.getByLabelText("Mode") as HTMLSelectElement).value).toBe("");
  });
});
