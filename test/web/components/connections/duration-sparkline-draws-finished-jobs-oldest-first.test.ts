import "@testing-library/svelte/vitest";
import { render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import DurationSparkline from "../../../../web/src/components/connections/DurationSparkline.svelte";
import { sparkGeometry } from "../../../../web/src/components/connections/sparkline";

const job = (duration_ms: number | null, status = "completed") => ({ duration_ms, status });

describe("sparkGeometry", () => {
  it("puts the oldest finished job on the left and the slowest at the top", () => {
    // Newest first, as the stats API lists them; the running job has no duration yet.
    const { dots } = sparkGeometry([job(null, "running"), job(3000), job(1000, "failed"), job(2000)], 100, 20, 0);

    expect(dots).toEqual([
      { x: 0, y: 10, failed: false },
      { x: 50, y: 20, failed: true },
      { x: 100, y: 0, failed: false },
    ]);
  });

  it("draws a flat series and a single job across the middle", () => {
    expect(sparkGeometry([job(500), job(500)], 100, 20, 0).dots.map((dot) => dot.y)).toEqual([10, 10]);
    expect(sparkGeometry([job(500)], 100, 20, 0).dots).toEqual([{ x: 50, y: 10, failed: false }]);
  });
});

describe("DurationSparkline", () => {
  it("names the latest and median duration and the failures for screen readers", () => {
    render(DurationSparkline, { jobs: [job(1500), job(90_000, "failed"), job(2500)] });

    expect(screen.getByRole("img").getAttribute("aria-label")).toBe("Last 3 durations: latest 1.5s, median 2.5s, 1 failed");
  });

  it("says so when no job has finished", () => {
    render(DurationSparkline, { jobs: [job(null, "running")] });

    expect(screen.getByText("No runs yet")).toBeTruthy();
    expect(screen.queryByRole("img")).toBeNull();
  });
});
