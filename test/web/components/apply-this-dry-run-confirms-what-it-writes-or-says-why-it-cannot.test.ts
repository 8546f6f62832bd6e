import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RunPlan } from "../../../web/src/lib/plan-types";
import type { RunDetail } from "../../../web/src/lib/run-types";
import { formatShortAbsolute } from "../../../web/src/lib/format";
import { jsonResponse, makeErrorBody, makePlan, makeRunDetail } from "../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_test", role: "operator", name: "e2e-operator" }));
});

const { default: ApplyDryRun } = await import("../../../web/src/components/ApplyDryRun.svelte");

interface Ledger {
  plans: RunPlan[];
  runs?: RunDetail[];
  apply?: () => Response;
}

// The API as the dashboard sees it: each read of the plan answers the next one given (the last repeats).
function serve(ledger: Ledger) {
  const calls: string[] = [];
  let reads = 0;
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      calls.push(`${init?.method ?? "GET"} ${path}`);
      if (path === "/api/runs/run_dry/plan") return jsonResponse(ledger.plans[Math.min(reads++, ledger.plans.length - 1)]);
      if (path === "/api/runs/run_dry/apply" && init?.method === "POST")
        return ledger.apply?.() ?? jsonResponse({ error: { code: "nope", message: "no" } }, 500);
      const run = ledger.runs?.find((candidate) => path === `/api/runs/${candidate.id}`);
      if (run) return jsonResponse(run);
      throw new Error(`unexpected request ${path}`);
    }),
  );
  return calls;
}

function button(): HTMLButtonElement {
  return screen.getByRole("button", { name: "Apply this dry run" }) as HTMLButtonElement;
}

function reason(): string {
  return (
    document
      .getElementById(button().getAttribute("aria-describedby") ?? "")
      ?.textContent?.replace(/\s+/g, " ")
      .trim() ?? ""
  );
}

beforeEach(() => {
  history.replaceState(null, "", "/jobs/job_dry_1");
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("Apply this dry run", () => {
  it("confirms the connections, their would-update counts and the expiry, then opens the apply run's job of the same connection", async () => {
    const plan = makePlan({ expires_at: "2026-11-23T12:00:00.000Z" }, [
      { connection_id: "conn_json", connection_name: "Device status (JSON)", would_update: 141 },
      { connection_id: "conn_xml", connection_name: "Device status (XML)", would_update: 1 },
    ]);
    const applyRun = makeRunDetail({ mode: "live", status: "pending" }, [{ connection_id: "conn_json" }, { connection_id: "conn_xml" }]);
    const calls = serve({ plans: [plan], apply: () => jsonResponse({ run: applyRun }, 201) });
    render(ApplyDryRun, { runId: "run_dry", connectionId: "conn_xml", finished: true });

    await waitFor(() => expect(button().disabled).toBe(false));
    expect(reason()).toBe(`The plan can be applied until ${formatShortAbsolute("2026-11-23T12:00:00.000Z")}.`);
    await fireEvent.click(button());

    const dialog = screen.getByRole("dialog", { hidden: true, name: "Apply this dry run?" });
    expect(dialog.textContent).toContain("142 records across 2 connections");
    expect(dialog.textContent).toContain("Records outside the plan are not touched.");
    expect(within(dialog).getByRole("row", { hidden: true, name: /Device status \(JSON\)/ }).textContent).toContain("141");
    expect(within(dialog).getByRole("row", { hidden: true, name: /Device status \(XML\)/ }).textContent).toContain("1");
    expect(dialog.textContent).toContain(`The plan expires ${formatShortAbsolute("2026-11-23T12:00:00.000Z")}.`);
    expect(calls).not.toContain("POST /api/runs/run_dry/apply");

    await fireEvent.click(within(dialog).getByRole("button", { hidden: true, name: "Write 142 records" }));

    await waitFor(() => expect(location.pathname).toBe(`/jobs/${applyRun.jobs[1]?.id}`));
    expect(calls).toContain("POST /api/runs/run_dry/apply");
  });

  it("is disabled while the plan has expired, saying when", async () => {
    serve({ plans: [makePlan({ state: "expired", expires_at: "2026-11-21T08:00:00.000Z" })] });
    render(ApplyDryRun, { runId: "run_dry", finished: true });

    await waitFor(() => expect(reason()).toBe(`This plan expired at ${formatShortAbsolute("2026-11-21T08:00:00.000Z")}: run a new dry run and review it.`));
    expect(button().disabled).toBe(true);
  });

  it("names each connection whose configuration changed since the dry run, with both versions", async () => {
    serve({
      plans: [
        makePlan({ state: "outdated" }, [
          { connection_name: "Device status (JSON)", planned_version: 3, current_version: 4 },
          { connection_name: "Device status (XML)", planned_version: 2, current_version: 2 },
        ]),
      ],
    });
    render(ApplyDryRun, { runId: "run_dry", finished: true });

    await waitFor(() =>
      expect(reason()).toBe("The configuration changed since this dry run: Device status (JSON) (version 3 → 4). Run a new dry run and review it."),
    );
    expect(button().disabled).toBe(true);
  });

  it("links to the run that already applied the plan", async () => {
    const applied = makeRunDetail({ id: "run_applied", mode: "live", status: "completed" }, [{ connection_id: "conn_json" }]);
    serve({ plans: [makePlan({ state: "applied", applied_by_run_id: "run_applied" })], runs: [applied] });
    render(ApplyDryRun, { runId: "run_dry", connectionId: "conn_json", finished: true });

    const link = await screen.findByRole("link", { name: "Open the apply run" });
    expect(link.getAttribute("href")).toBe(`/jobs/${applied.jobs[0]?.id}`);
    expect(reason()).toContain("This dry run was already applied.");
    expect(button().disabled).toBe(true);
  });

  it("shows the API's refusal and the plan's new state when it changed between review and confirm", async () => {
    serve({
      plans: [makePlan(), makePlan({ state: "expired", expires_at: "2026-11-22T12:00:00.000Z" })],
      apply: () => jsonResponse(makeErrorBody("plan_expired", "The plan of run run_dry expired at 2026-11-22T12:00:00.000Z"), 409),
    });
    render(ApplyDryRun, { runId: "run_dry", finished: true });
    await waitFor(() => expect(button().disabled).toBe(false));
    await fireEvent.click(button());
    await fireEvent.click(screen.getByRole("button", { hidden: true, name: "Write 12 records" }));

    expect((await screen.findByRole("alert")).textContent).toBe("Could not apply: The plan of run run_dry expired at 2026-11-22T12:00:00.000Z");
    await waitFor(() => expect(reason()).toMatch(/^This plan expired at/));
    expect(button().disabled).toBe(true);
    expect(location.pathname).toBe("/jobs/job_dry_1");
  });

  it("says the plan is not ready while the dry run runs, and reads it again when the run finishes", async () => {
    const calls = serve({ plans: [makePlan({ state: "not_finished", expires_at: null }), makePlan()] });
    const view = render(ApplyDryRun, { runId: "run_dry", finished: false });
    await waitFor(() => expect(reason()).toBe("The dry run is still running: its plan can be applied when it finishes."));
    expect(button().disabled).toBe(true);

    await view.rerender({ runId: "run_dry", finished: true });

    await waitFor(() => expect(button().disabled).toBe(false));
    expect(calls.filter((call) => call === "GET /api/runs/run_dry/plan")).toHaveLength(2);
  });
});
