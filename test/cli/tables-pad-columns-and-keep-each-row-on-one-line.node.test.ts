import { describe, expect, it } from "vitest";
import { runDetailText, runsTable } from "../../cli/src/run-views";
import { cellValue, formatTable } from "../../cli/src/table";
import { makeJob, makeRun } from "./factories";

const BASE = "http://localhost:8787";

describe("formatTable", () => {
  it("pads each column to its widest cell, aligns numbers right and trims the line ends", () => {
    const rows = [
      { name: "Device status", count: 7 },
      { name: "Bulk", count: 1200 },
    ];
    const table = formatTable(
      [
        { header: "NAME", value: (row) => row.name },
        { header: "COUNT", value: (row) => String(row.count), align: "right" },
      ],
      rows,
    );
    expect(table).toBe(["NAME           COUNT", "Device status      7", "Bulk            1200", ""].join("\n"));
  });

  it("keeps a cell with line breaks on its row", () => {
    const table = formatTable([{ header: "ERROR", value: (row: { error: string }) => row.error }], [{ error: "first\r\nsecond\nthird" }]);
    expect(table.split("\n")).toEqual(["ERROR", "first ⏎ second ⏎ third", ""]);
  });

  it("shows JSON values as JSON and strings as they are", () => {
    expect([cellValue("on"), cellValue(3), cellValue(null), cellValue({ a: [1] }), cellValue(undefined)]).toEqual(["on", "3", "null", '{"a":[1]}', ""]);
  });
});

describe("runs and jobs", () => {
  it("read with the dashboard's words, a completed run's detail winning over its plain status", () => {
    const table = runsTable([
      makeRun({ id: "run_a", status: "failed" }),
      makeRun({ id: "run_b", status: "completed", status_detail: "Completed with 3 failed records" }),
    ]);
    expect(table).toMatch(/^RUN\s+STATUS\s+TYPE\s+MODE\s+CREDENTIAL\s+TRIGGER\s+CREATED\n/);
    expect(table).toMatch(/run_a\s+Failed\s+full\s+dry\s+Demo fleet/);
    expect(table).toContain("run_b  Completed with 3 failed records");
    expect(runsTable([])).toBe("No runs match.\n");
  });

  it("say what a completed job's counters warn of, as the dashboard's badge does, and leave an up-to-date one plain", () => {
    const diagnosis = (severity: "warning" | "info", code: "all_missing_source" | "up_to_date", label: string) => ({
      severity,
      code,
      label,
      message: "…",
      hint: "…",
    });
    const text = runDetailText(
      makeRun({
        status: "completed",
        jobs: [
          makeJob({ connection_name: "Warned", status: "completed", diagnoses: [diagnosis("warning", "all_missing_source", "Missing Source")] }),
          makeJob({ connection_name: "Current", status: "completed", diagnoses: [diagnosis("info", "up_to_date", "already up to date")] }),
        ],
      }),
      BASE,
    );
    expect(text).toMatch(/Warned\s+Completed — Missing Source\s+/);
    expect(text).toMatch(/Current\s+Completed\s+\d/);
    expect(text).not.toContain("already up to date");
  });

  it("say why a running run or job stands still when a destination breaker holds it back", () => {
    const waiting = { host: "api.example.com", next_probe_at: null, reason: "Paused: destination api.example.com is failing; next probe at soon" };
    expect(runsTable([makeRun({ id: "run_w", status: "running", waiting })])).toContain("run_w  Running, paused: api.example.com is failing");
    const text = runDetailText(makeRun({ status: "running", waiting, jobs: [makeJob({ status: "running", waiting })] }), BASE);
    expect(text).toMatch(/^Run run_\d+: Running, paused: api.example.com is failing \(/);
    expect(text).toMatch(/Device status\s+Running, paused: api.example.com is failing\s+/);
  });

  it("show each job's counters and, under the table, a failed job's error and hint", () => {
    const text = runDetailText(
      makeRun({
        status: "failed",
        jobs: [
          makeJob({
            status: "failed",
            processed: 1,
            in_scope: 1,
            failed: 1,
            error: {
              code: "method_not_allowed",
              http_status: 405,
              message: "The destination refused POST (405)",
              hint: "Verify method in Update API Contract",
            },
          }),
        ],
      }),
      "https://sync.example.com/",
    );
    expect(text).toMatch(/^Run run_1: Failed \(full, dry, credential "Demo fleet"\)\n/);
    expect(text).toMatch(/job_1\s+Device status\s+Failed\s+1 of 1\s+0\s+0\s+0\s+0\s+1\n/);
    expect(text).toContain("Device status: The destination refused POST (405)\n  Hint: Verify method in Update API Contract\n");
    // Last, the run's page: what an alert's run link opens.
    expect(text.endsWith("\nDashboard: https://sync.example.com/jobs?run=run_1\n")).toBe(true);
  });
});
