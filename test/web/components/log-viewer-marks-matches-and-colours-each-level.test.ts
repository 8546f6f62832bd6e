import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import LogViewer from "../../../web/src/components/LogViewer.svelte";
import { JobLogsState } from "../../../web/src/state/job-detail.svelte";
import type { LogLine } from "../../../web/src/lib/run-types";
import { jsonResponse, makeLogLine } from "../factories";

// Answers GET /api/jobs/{id}/logs like the API: levels and every word of q filter the lines.
function serveLogs(lines: LogLine[]) {
  const queries: URLSearchParams[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), "http://localhost");
      queries.push(url.searchParams);
      const levels = url.searchParams.get("level")?.split(",");
      const words = url.searchParams.get("q")?.toLowerCase().split(/\s+/) ?? [];
      const data = lines.filter((line) => (!levels || levels.includes(line.level)) && words.every((word) => line.message.toLowerCase().includes(word)));
      return jsonResponse({ data, next_cursor: null });
    }),
  );
  return queries;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const LINES = [
  makeLogLine({ seq: 1, level: "INFO", message: "Syncing stream: Account" }),
  makeLogLine({ seq: 2, level: "WARN", message: "Salesforce API rate limit at 85% — throttling requests" }),
  makeLogLine({ seq: 3, level: "ERROR", message: "Response 401: invalid_token", serial: "DEV-00001" }),
  makeLogLine({ seq: 4, level: "DEBUG", message: "GET /api/devices/DEV-00001 took 12 ms" }),
];

describe("the log viewer", () => {
  it("shows INFO, WARN and ERROR with their level's colour class, and DEBUG only with the debug toggle", async () => {
    const queries = serveLogs(LINES);
    const logs = new JobLogsState("job_1");
    logs.start(() => false);
    render(LogViewer, { logs });

    expect(await screen.findByText("Syncing stream: Account")).toBeTruthy();
    expect(screen.getByText("Response 401: invalid_token").closest(".line")?.classList.contains("level-ERROR")).toBe(true);
    expect(
      screen
        .getByText(/rate limit/)
        .closest(".line")
        ?.classList.contains("level-WARN"),
    ).toBe(true);
    expect(screen.queryByText(/took 12 ms/)).toBeNull();
    expect(queries.at(-1)?.get("level")).toBe("ERROR,WARN,INFO");

    await fireEvent.click(screen.getByRole("switch", { name: "Debug lines" }));

    expect(await screen.findByText(/took 12 ms/)).toBeTruthy();
    expect(
      screen
        .getByText(/took 12 ms/)
        .closest(".line")
        ?.classList.contains("level-DEBUG"),
    ).toBe(true);
    logs.stop();
  });

  it("searches the log and marks every word it matched", async () => {
    const queries = serveLogs(LINES);
    const logs = new JobLogsState("job_1");
    logs.start(() => false);
    render(LogViewer, { logs });
    await screen.findByText("Syncing stream: Account");

    await fireEvent.input(screen.getByLabelText("Search the log"), { target: { value: "rate THROTTLING" } });
    await fireEvent.submit(screen.getByRole("search", { name: "Log lines" }));

    expect(await screen.findByText("1 lines matching “rate THROTTLING”")).toBeTruthy();
    expect(queries.at(-1)?.get("q")).toBe("rate THROTTLING");
    const marks = [...document.querySelectorAll("mark")].map((mark) => mark.textContent);
    expect(marks).toEqual(["rate", "throttling"]);
    expect(screen.queryByText("Syncing stream: Account")).toBeNull();
    logs.stop();
  });

  it("filters by level through the level checkboxes", async () => {
    const queries = serveLogs(LINES);
    const logs = new JobLogsState("job_1");
    logs.start(() => false);
    render(LogViewer, { logs });
    await screen.findByText("Syncing stream: Account");

    await fireEvent.click(screen.getByRole("checkbox", { name: "INFO" }));

    expect(queries.at(-1)?.get("level")).toBe("ERROR,WARN");
    expect(await screen.findByText("Response 401: invalid_token")).toBeTruthy();
    expect(screen.queryByText("Syncing stream: Account")).toBeNull();
    logs.stop();
  });

  it("links a line's serial to that serial's requests, and a retried request's line to requests by method and path", async () => {
    serveLogs([
      makeLogLine({ seq: 1, level: "WARN", message: "Retrying PUT /devices/DEV-00009 after status 503 (attempt 2), waiting 500 ms", serial: "DEV-00009" }),
    ]);
    const logs = new JobLogsState("job_1");
    logs.start(() => false);
    render(LogViewer, { logs });

    const serial = await screen.findByRole("link", { name: "DEV-00009" });
    expect(serial.getAttribute("href")).toBe("/jobs/job_1?tab=requests&serial=DEV-00009");
    const requests = screen.getByRole("link", { name: "Requests: PUT /devices/DEV-00009" });
    expect(requests.getAttribute("href")).toBe("/jobs/job_1?tab=requests&method=PUT&url=%2Fdevices%2FDEV-00009");
    logs.stop();
  });
});
