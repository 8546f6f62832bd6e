import "@testing-library/svelte/vitest";
import { render, screen, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import ConnectionJobRow from "../../../web/src/components/ConnectionJobRow.svelte";
import RunFolderRow from "../../../web/src/components/RunFolderRow.svelte";
import DestinationBreakerBanner from "../../../web/src/components/DestinationBreakerBanner.svelte";
import { formatShortAbsolute } from "../../../web/src/lib/format";
import { destinationBreakers } from "../../../web/src/state/destination-breakers.svelte";
import { RunEntry } from "../../../web/src/state/runs.svelte";
import { jsonResponse, makeJob, makeRun } from "../factories";

const NEXT_PROBE = "2026-12-06T04:30:00.000Z";

function breaker(state: "open" | "half_open" | "closed", host: string, waitingJobs: number) {
  return {
    host,
    state,
    opened_at: "2026-12-06T04:29:30.000Z",
    next_probe_at: state === "open" ? NEXT_PROBE : null,
    probe_started_at: null,
    failed_probes: 0,
    last_error: "HTTP 503",
    last_failure_at: "2026-12-06T04:29:30.000Z",
    closed_at: null,
    updated_at: "2026-12-06T04:29:30.000Z",
    waiting_jobs: waitingJobs,
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("a destination breaker", () => {
  it("a job row held back says the host is failing and when it is probed next; a job not held back says nothing", () => {
    render(ConnectionJobRow, {
      job: makeJob({ status: "running", waiting: { host: "api.example.com", next_probe_at: NEXT_PROBE, reason: "Paused: …" } }),
    });
    const note = screen.getByRole("status");
    expect(note.textContent!.replace(/\s+/g, " ")).toContain("Paused: destination api.example.com is failing; next probe at");
    expect(note.textContent).toContain(formatShortAbsolute(NEXT_PROBE));

    render(ConnectionJobRow, { job: makeJob({ status: "running", waiting: null }) });
    expect(screen.getAllByRole("status")).toHaveLength(1);
  });

  it("a run's row in the runs list says it is held back, from the list's field until its jobs are known, then from them", () => {
    const waiting = { host: "api.example.com", next_probe_at: NEXT_PROBE, reason: "Paused: …" };
    const row = (entry: RunEntry, expanded = false) =>
      render(RunFolderRow, { entry, expanded, ontoggle: () => {}, comparing: false, oncompare: () => {} }).container.querySelector("article")!;

    const listed = row(new RunEntry(makeRun({ status: "running", waiting }), null));
    expect(within(listed).getByRole("status").textContent!.replace(/\s+/g, " ")).toContain("Paused: destination api.example.com is failing; next probe at");

    // The live feed's jobs say the breaker let it go, whatever the list said when it loaded.
    const resumed = row(new RunEntry(makeRun({ status: "running", waiting }), [makeJob({ status: "running", waiting: null })]));
    expect(within(resumed).queryByRole("status")).toBeNull();
    // A finished run waits on nothing.
    expect(within(row(new RunEntry(makeRun({ status: "canceled", waiting }), null))).queryByRole("status")).toBeNull();
    // Open, the folder says it on the waiting connection's row, once.
    const open = row(new RunEntry(makeRun({ status: "running", mode: "live" }), [makeJob({ status: "running", waiting })]), true);
    expect(within(open).getAllByRole("status")).toHaveLength(1);
  });

  it("the dashboard banner names each failing host with its paused jobs, leaves closed ones out, and offers Resume now to operators only", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        jsonResponse({
          breakers: [breaker("open", "api.example.com", 2), breaker("closed", "ok.example.com", 0)],
          policy: {
            consecutive_failures: 10,
            window_ms: 60_000,
            window_min_requests: 20,
            window_failure_percent: 50,
            first_probe_ms: 30_000,
            max_probe_ms: 600_000,
          },
        }),
      ),
    );
    render(DestinationBreakerBanner);
    await destinationBreakers.list.reload();

    const banner = await screen.findByRole("alert");
    expect(within(banner).getByRole("heading").textContent).toBe("Destination failing");
    expect(banner.textContent!.replace(/\s+/g, " ")).toContain("api.example.com keeps failing (HTTP 503): 2 jobs paused; next probe at");
    expect(banner.textContent).not.toContain("ok.example.com");
    const resume = within(banner).getByRole<HTMLButtonElement>("button", { name: "Resume now" });
    // Signed out here: the button says which role it needs.
    expect(resume.disabled).toBe(true);
    expect(resume.title).toContain("operator role");
  });
});
