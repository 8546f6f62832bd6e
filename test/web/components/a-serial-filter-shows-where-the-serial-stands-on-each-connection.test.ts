import "@testing-library/svelte/vitest";
import { render, screen, within } from "@testing-library/svelte";
import { tick } from "svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import SerialStanding from "../../../web/src/components/SerialStanding.svelte";
import type { SerialStanding as Standing } from "../../../worker/schemas/connection-serials";
import { jsonResponse, makeRun } from "../factories";
import { runs } from "../../../web/src/state/runs.svelte";

function stub(answer: (serial: string) => Standing): string[] {
  const asked: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), "http://localhost");
      if (url.pathname !== "/api/serials/latest") throw new Error(`unexpected request ${url.pathname}`);
      asked.push(url.searchParams.get("serial")!);
      return jsonResponse(answer(url.searchParams.get("serial")!));
    }),
  );
  return asked;
}

const entry = (overrides: Partial<Standing["connections"][number]>): Standing["connections"][number] => ({
  connection_id: "conn_json",
  connection_name: "Device status (JSON)",
  credential_id: "cred_1",
  action: "failed",
  since: "2026-12-07T10:00:00.000Z",
  job_id: "job_1",
  run_id: "run_1",
  mode: "live",
  job_kept: true,
  ...overrides,
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("SerialStanding", () => {
  it("lists each connection's latest outcome for the serial, with its connection, job and requests", async () => {
    const asked = stub((serial) => ({
      serial,
      connections: [
        entry({}),
        entry({ connection_id: "conn_xml", connection_name: "Device status (XML)", action: "would_update", mode: "dry", job_id: "job_old", job_kept: false }),
      ],
    }));
    render(SerialStanding, { serial: "DEV/7 #1" });
    const section = screen.getByRole("region", { name: "DEV/7 #1 on each connection now" });
    const items = await within(section).findAllByRole("listitem");
    expect(asked).toEqual(["DEV/7 #1"]);
    expect(items[0]!.textContent).toMatch(/Device status \(JSON\)\s*Failed\s*since .+ ago/);
    expect(within(items[0]!).getByRole("link", { name: "Device status (JSON)" }).getAttribute("href")).toBe("/connections/conn_json#section-serials");
    expect(within(items[0]!).getByRole("link", { name: "Job that recorded it on Device status (JSON)" }).getAttribute("href")).toBe("/jobs/job_1");
    expect(within(items[0]!).getByRole("link", { name: "Requests on Device status (JSON)" }).getAttribute("href")).toBe(
      "/jobs/job_1?tab=requests&serial=DEV%2F7+%231",
    );
    expect(items[1]!.textContent).toMatch(/Would Update\s*dry run.*job deleted by retention/);
  });

  it("says when no run has decided the serial", async () => {
    stub((serial) => ({ serial, connections: [] }));
    render(SerialStanding, { serial: "NOPE-1" });
    expect(await screen.findByText(/No run has decided this serial yet/)).toBeTruthy();
  });

  it("reads the serial again when a run the live feed showed running finishes", async () => {
    let action: Standing["connections"][number]["action"] = "failed";
    const asked = stub((serial) => ({ serial, connections: [entry({ action })] }));
    render(SerialStanding, { serial: "DEV-00001" });
    expect(await screen.findByText("Failed")).toBeTruthy();

    const run = makeRun({ id: "run_serial", status: "running" });
    runs.apply([{ type: "run", run, seq: 1 }]);
    await tick();
    expect(asked).toHaveLength(1);
    action = "updated";
    runs.apply([{ type: "run", run: { ...run, status: "completed", finished_at: "2026-12-07T10:05:00.000Z" }, seq: 2 }]);
    expect(await screen.findByText("Updated")).toBeTruthy();
    expect(asked).toEqual(["DEV-00001", "DEV-00001"]);
  });
});
