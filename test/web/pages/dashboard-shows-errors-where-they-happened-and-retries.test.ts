import "@testing-library/svelte/vitest";
import { render, screen, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import DashboardPage from "../../../web/src/pages/DashboardPage.svelte";
import { jsonResponse, makeConnection, makeErrorBody, makeHealth } from "../factories";

// The browser's fetch is the boundary; our client, state and components run for real.
function serve(routes: Record<string, () => Response>) {
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const path = new URL(String(input), "http://localhost").pathname;
    const answer = routes[path];
    if (!answer) throw new Error(`unexpected request ${path}`);
    return answer();
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("DashboardPage", () => {
  it("shows a failed health check inside the status card and recovers on Retry", async () => {
    let healthy = false;
    serve({
      "/api/health": () => (healthy ? jsonResponse(makeHealth({ version: "1.2.3" })) : jsonResponse(makeErrorBody("internal_error", "D1 is down"), 500)),
      "/api/connections": () => jsonResponse({ data: [makeConnection(), makeConnection(), makeConnection()], next_cursor: null }),
    });

    render(DashboardPage);

    const status = screen.getByRole("region", { name: "System status" });
    const alert = await within(status).findByRole("alert");
    expect(alert.textContent).toContain("D1 is down");
    const connections = screen.getByRole("region", { name: "Connections" });
    expect(await within(connections).findByText("3")).toBeTruthy();

    healthy = true;
    within(alert).getByRole("button", { name: "Retry" }).click();

    expect(await within(status).findByText("All systems operational")).toBeTruthy();
    expect(within(status).getByText("1.2.3")).toBeTruthy();
    expect(within(status).queryByRole("alert")).toBeNull();
  });
});
