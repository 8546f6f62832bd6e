import "@testing-library/svelte/vitest";
import { render, screen } from "@testing-library/svelte";
import { expect, it } from "vitest";
import JobSummaryPanel from "../../../web/src/components/JobSummaryPanel.svelte";
import { makeJob, makeUnchangedJob } from "../factories";

// "0 of 0 in scope" after a live sync is the cursor at work: the job page says what the job read from.
it("an incremental job shows the cursor it read changes since", () => {
  render(JobSummaryPanel, {
    job: makeUnchangedJob("2026-10-31T23:22:33.000Z"),
  });

  const term = screen.getByText("Changed since");
  const value = term.nextElementSibling!;
  expect(term.tagName).toBe("DT");
  expect(value.querySelector("time")?.getAttribute("datetime")).toBe("2026-10-31T23:22:33.000Z");
  expect(value.textContent).toContain("Incremental: records changed since the connection's cursor, and last run's failed serials");
  expect(screen.getByText("0 of 0 in scope: nothing changed since the last sync")).toBeTruthy();
});

it("a complete job says nothing of a cursor", () => {
  render(JobSummaryPanel, { job: makeJob({ status: "completed", in_scope: 500, processed: 500, incremental_since: null }) });

  expect(screen.queryByText("Changed since")).toBeNull();
  expect(screen.getByText("500 of 500 in scope")).toBeTruthy();
});
