import "@testing-library/svelte/vitest";
import { render, screen } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import RelativeTime from "../../../web/src/components/RelativeTime.svelte";
import { noteServerDate, resetServerClock } from "../../../web/src/lib/server-clock";

const SERVER_NOW = Date.parse("2026-11-20T11:00:00.000Z");

describe("a relative time", () => {
  beforeEach(() => resetServerClock());
  afterEach(() => {
    vi.useRealTimers();
    resetServerClock();
  });

  it("counts from the server's clock when the browser's is three hours ahead", () => {
    vi.useFakeTimers({ now: SERVER_NOW + 3 * 3_600_000, toFake: ["Date"] });
    noteServerDate(new Date(SERVER_NOW).toUTCString(), Date.now() - 100, Date.now());
    render(RelativeTime, { iso: new Date(SERVER_NOW - 5 * 60_000).toISOString() });
    expect(screen.getByText("5 minutes ago").tagName).toBe("TIME");
  });
});
