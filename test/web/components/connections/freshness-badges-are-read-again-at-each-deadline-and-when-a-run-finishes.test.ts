import "@testing-library/svelte/vitest";
import { render, screen } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { freshnessRecheckDelay, nextFreshnessDeadline } from "../../../../web/src/lib/freshness-deadlines";
import { resetServerClock } from "../../../../web/src/lib/server-clock";
import { runs } from "../../../../web/src/state/runs.svelte";
import { dashboardRoutes, jsonResponse, makeConnection, makeRun, stubApiRoutes } from "../../factories";
import type { FreshnessView } from "../../../../worker/schemas/types";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_test", role: "viewer", name: "e2e-viewer" }));
});

const { default: ConnectionListScreen } = await import("../../../../web/src/components/connections/ConnectionListScreen.svelte");

const NOW = Date.parse("2026-11-20T11:00:00.000Z");
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

function freshness(state: FreshnessView["state"], expectedInMs: number, overdueInMs: number): FreshnessView {
  return { state, last_success_at: at(-3_600_000), expected_by: at(expectedInMs), overdue_at: at(overdueInMs), sla_minutes: null };
}

describe("the next freshness deadline", () => {
  it("is an On time connection's expected_by or a Delayed one's overdue_at, whichever comes first", () => {
    const onTime = { freshness: freshness("on_time", 120_000, 3_720_000) };
    const delayed = { freshness: freshness("delayed", -60_000, 60_000) };
    expect(nextFreshnessDeadline([onTime, delayed])).toBe(NOW + 60_000);
    expect(nextFreshnessDeadline([onTime])).toBe(NOW + 120_000);
  });

  it("is none for Overdue connections (nothing changes by the clock) and those without freshness", () => {
    expect(nextFreshnessDeadline([{ freshness: freshness("overdue", -7_200_000, -3_600_000) }, { freshness: null }, {}])).toBeNull();
    expect(freshnessRecheckDelay([{ freshness: null }], NOW)).toBeNull();
  });

  it("is read a second after it passes; again 15 s later while the server still judges it unreached; at most a day ahead", () => {
    expect(freshnessRecheckDelay([{ freshness: freshness("on_time", 60_000, 120_000) }], NOW)).toBe(61_000);
    expect(freshnessRecheckDelay([{ freshness: freshness("on_time", -5_000, 120_000) }], NOW)).toBe(15_000);
    expect(freshnessRecheckDelay([{ freshness: freshness("on_time", 40 * 86_400_000, 80 * 86_400_000) }], NOW)).toBe(86_400_000);
  });
});

describe("the Connections page", () => {
  let answers: Array<FreshnessView | null>;
  let listReads: number;

  // How far the browser's clock is ahead of the server's; the list's answers say the server's time.
  let browserAheadMs = 0;

  function serve(): void {
    listReads = 0;
    const routes = dashboardRoutes({});
    stubApiRoutes({
      ...routes,
      "/api/connections": () => {
        const answer = answers[Math.min(listReads, answers.length - 1)]!;
        listReads += 1;
        const response = jsonResponse({
          data: [makeConnection({ id: "conn_fresh", name: "Fleet status", schedule: "0 * * * *", freshness: answer })],
          next_cursor: null,
        });
        response.headers.set("date", new Date(Date.now() - browserAheadMs).toUTCString());
        return response;
      },
      "/api/stats": () => jsonResponse({ connections: [] }),
    });
  }

  const badge = () => document.querySelector<HTMLElement>("[data-freshness]")?.dataset.freshness;
  // The list's read and its rendering: a few turns of promises, no clock.
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["setTimeout", "clearTimeout", "Date"] });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    browserAheadMs = 0;
    resetServerClock();
  });

  // The deadline is judged on the server's clock: a browser an hour ahead would otherwise think it long past and ask
  // every 15 s.
  it.each([
    ["agrees with the server's", 0],
    ["is an hour ahead of the server's", 3_600_000],
  ])("reads the list again a second after a deadline passes, when the browser's clock %s, and shows what the server judges then", async (_, ahead) => {
    browserAheadMs = ahead;
    vi.setSystemTime(NOW + ahead);
    answers = [freshness("on_time", 60_000, 3_660_000), freshness("delayed", 60_000, 3_660_000)];
    serve();
    render(ConnectionListScreen);
    await screen.findByRole("rowheader", { name: /Fleet status/ });
    expect(badge()).toBe("on_time");

    await vi.advanceTimersByTimeAsync(60_000);
    await settle();
    expect(listReads).toBe(1);
    expect(badge()).toBe("on_time");

    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(listReads).toBe(2);
    expect(badge()).toBe("delayed");
  });

  it("keeps a connection On time when a success arrived before the deadline it passed", async () => {
    // The second read: a success came in meanwhile, so the server's next deadline is an hour on.
    answers = [freshness("on_time", 60_000, 3_660_000), freshness("on_time", 3_660_000, 7_260_000)];
    serve();
    render(ConnectionListScreen);
    await screen.findByRole("rowheader", { name: /Fleet status/ });

    await vi.advanceTimersByTimeAsync(61_000);
    await settle();
    expect(listReads).toBe(2);
    expect(badge()).toBe("on_time");
  });

  it("reads the list again when a run the live feed showed running finishes", async () => {
    answers = [freshness("delayed", -60_000, 3_540_000), freshness("on_time", 3_540_000, 7_140_000)];
    serve();
    render(ConnectionListScreen);
    await screen.findByRole("rowheader", { name: /Fleet status/ });
    expect(badge()).toBe("delayed");

    const run = makeRun({ id: "run_freshness", status: "running" });
    runs.apply([{ type: "run", run, seq: 1 }]);
    await settle();
    expect(listReads).toBe(1);

    runs.apply([{ type: "run", run: { ...run, status: "completed", finished_at: at(0) }, seq: 2 }]);
    await settle();
    expect(listReads).toBe(2);
    expect(badge()).toBe("on_time");
  });
});
