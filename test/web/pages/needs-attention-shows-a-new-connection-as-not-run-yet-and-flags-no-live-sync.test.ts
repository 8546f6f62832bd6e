import "@testing-library/svelte/vitest";
import { render, screen, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import DashboardPage from "../../../web/src/pages/DashboardPage.svelte";
import type { AttentionReason, StatsResponse } from "../../../web/src/lib/run-types";
import { dashboardRoutes, stubApiRoutes } from "../factories";

type Listed = StatsResponse["without_success"]["connections"][number];

function listed(name: string, attention: AttentionReason, overrides: Partial<Listed> = {}): Listed {
  const ran = attention !== "not_run_yet";
  return {
    id: `conn_${name.toLowerCase().replace(/\W+/g, "_")}`,
    name,
    credential_id: "cred_demo",
    credential_name: "Demo fleet",
    enabled: true,
    schedule: null,
    last_status: ran ? "completed" : null,
    last_failed_records: 0,
    last_status_detail: null,
    last_run_at: ran ? "2026-11-22T10:00:00.000Z" : null,
    last_success_at: attention === "no_success_since" ? "2026-11-10T10:00:00.000Z" : null,
    attention,
    ...overrides,
  };
}

function stats(withoutSuccess: Listed[], credentials: StatsResponse["credentials"] = []): StatsResponse {
  const tally = { total: 0, by_status: { pending: 0, running: 0, completed: 0, failed: 0, canceled: 0 }, success_rate: null };
  const durations = { completed_jobs: 0, average_ms: null, p50_ms: null, p95_ms: null, min_ms: null, max_ms: null };
  return {
    window: { since: "2026-11-21T12:00:00.000Z", until: "2026-11-22T12:00:00.000Z" },
    jobs: tally,
    runs: tally,
    durations,
    failures: { count: 0, recent: [] },
    connections: [],
    without_success: { since: "2026-11-19T12:00:00.000Z", connections: withoutSuccess },
    credentials,
  };
}

function serve(report: StatsResponse) {
  stubApiRoutes(dashboardRoutes(report));
}

afterEach(() => {
  vi.unstubAllGlobals();
});

async function attentionRows() {
  const card = screen.getByRole("region", { name: "Needs attention" });
  await within(card).findAllByRole("listitem");
  return within(card).getAllByRole("listitem");
}

describe("Needs attention on the dashboard", () => {
  it("shows connections that never ran as 'Not run yet' in a neutral tone, not as failures", async () => {
    serve(stats([listed("Device status (JSON)", "not_run_yet"), listed("Device status (XML)", "not_run_yet")]));
    render(DashboardPage);

    const rows = await attentionRows();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.textContent).toContain("Not run yet");
      expect(row.getAttribute("data-tone")).toBe("neutral");
      expect(row.textContent).not.toMatch(/never succeeded/i);
    }
  });

  it("still flags a connection that ran but never synced live, and one whose last live sync is old", async () => {
    serve(stats([listed("Dry only", "never_succeeded"), listed("Stale", "no_success_since"), listed("Brand new", "not_run_yet")]));
    render(DashboardPage);

    const rows = await attentionRows();
    expect(rows.map((row) => [row.querySelector("a")?.textContent, row.getAttribute("data-tone")])).toEqual([
      ["Dry only", "warning"],
      ["Stale", "warning"],
      ["Brand new", "neutral"],
    ]);
    expect(rows[0]!.textContent).toContain("Never succeeded live");
    expect(rows[1]!.textContent).toContain("No live success in 3 days");
  });

  it("names a refresh-token credential the provider refused, or one never connected, above the connections", async () => {
    serve(
      stats(
        [listed("Device status (JSON)", "not_run_yet")],
        [
          {
            id: "cred_crm",
            name: "CRM (HubSpot)",
            attention: "refresh_refused",
            message: "invalid_grant",
            since: "2026-11-22T11:00:00.000Z",
            connection_count: 2,
          },
          { id: "cred_books", name: "Books (Xero)", attention: "not_connected", message: null, since: null, connection_count: 1 },
        ],
      ),
    );
    render(DashboardPage);
    const rows = await attentionRows();
    expect(rows.map((row) => row.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      expect.stringMatching(/^CRM \(HubSpot\) The provider refused its refresh token: connect it again · credential of 2 connections · refused /),
      "Books (Xero) Not connected: it has no refresh token yet · credential of 1 connection",
      expect.stringMatching(/^Device status \(JSON\)/),
    ]);
    expect(within(rows[0]!).getByRole("link", { name: "CRM (HubSpot)" }).getAttribute("href")).toBe("/credentials");
    expect(rows[0]!.dataset.tone).toBe("danger");
  });
});
