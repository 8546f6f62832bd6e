import "@testing-library/svelte/vitest";
import { render, screen, within } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import type { StatsResponse } from "../../../../web/src/lib/run-types";
import { dashboardRoutes, makeConnection, stubApiRoutes } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_test", role: "viewer", name: "e2e-viewer" }));
});

const { default: ConnectionListScreen } = await import("../../../../web/src/components/connections/ConnectionListScreen.svelte");
const { default: DashboardPage } = await import("../../../../web/src/pages/DashboardPage.svelte");

type Entry = StatsResponse["connections"][number];
const tally = { total: 1, by_status: { pending: 0, running: 0, completed: 1, failed: 0, canceled: 0 }, success_rate: 1 };
const durations = { completed_jobs: 1, average_ms: 1_000, p50_ms: 1_000, p95_ms: 1_000, min_ms: 1_000, max_ms: 1_000 };

const quiet = makeConnection({ name: "Quiet failures" });
const clean = makeConnection({ name: "Clean", position: 2 });

function entry(id: string, name: string, failed: number): Entry {
  return {
    id,
    name,
    credential_id: "cred_demo",
    credential_name: "Demo fleet",
    enabled: true,
    schedule: null,
    last_status: "completed",
    last_failed_records: failed,
    last_status_detail: failed === 0 ? null : `Completed with ${failed} failed records`,
    last_run_at: "2026-11-22T10:00:00.000Z",
    last_success_at: "2026-11-22T10:00:00.000Z",
    jobs: tally,
    durations,
    recent_jobs: [],
  };
}

function serve() {
  const report: StatsResponse = {
    window: { since: "2026-11-21T12:00:00.000Z", until: "2026-11-22T12:00:00.000Z" },
    jobs: tally,
    runs: tally,
    durations,
    failures: { count: 0, recent: [] },
    connections: [entry(quiet.id, quiet.name, 3), entry(clean.id, clean.name, 0)],
    without_success: { since: "2026-11-19T12:00:00.000Z", connections: [] },
    credentials: [],
  };
  stubApiRoutes(dashboardRoutes(report, [quiet, clean]));
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const badgeIn = (scope: HTMLElement) => scope.querySelector<HTMLElement>(".status-badge")!;

it("the connections list says 'Completed with 3 failed records' in a warning tone, and a clean last job stays a plain success", async () => {
  serve();
  render(ConnectionListScreen);

  const quietRow = (await screen.findByRole("rowheader", { name: /Quiet failures/ })).closest("tr")!;
  await vi.waitFor(() => expect(badgeIn(quietRow)).not.toBeNull());
  const warned = badgeIn(quietRow);
  expect(warned.textContent?.trim()).toBe("Completed with 3 failed records");
  expect(warned.dataset.tone).toBe("warning");
  expect(warned.dataset.icon).toBe("warning");
  // It leads to the connection's serials failing now.
  expect(within(quietRow).getByRole("link", { name: "Failing serials of Quiet failures" }).getAttribute("href")).toBe(
    `/connections/${quiet.id}?serials=failed#section-serials`,
  );

  const cleanRow = screen.getByRole("rowheader", { name: /Clean/ }).closest("tr")!;
  expect(within(cleanRow).queryByRole("link", { name: /Failing serials/ })).toBeNull();
  const cleanBadge = badgeIn(cleanRow);
  expect(cleanBadge.textContent?.trim()).toBe("Completed");
  expect(cleanBadge.dataset.tone).toBeUndefined();
});

it("the dashboard lists a connection whose last job had failed records under Needs attention", async () => {
  serve();
  render(DashboardPage);

  const card = screen.getByRole("region", { name: "Needs attention" });
  const rows = await within(card).findAllByRole("listitem");
  expect(rows.map((row) => [row.querySelector("a")?.textContent, row.dataset.tone])).toEqual([["Quiet failures", "warning"]]);
  expect(rows[0]!.textContent).toContain("Last job had failed records");
  expect(badgeIn(rows[0]!).textContent?.trim()).toBe("Completed with 3 failed records");
  expect(within(rows[0]!).getByRole("link", { name: "Failing serials of Quiet failures" }).getAttribute("href")).toBe(
    `/connections/${quiet.id}?serials=failed#section-serials`,
  );
});
