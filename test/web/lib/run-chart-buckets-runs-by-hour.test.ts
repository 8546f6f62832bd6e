import { describe, expect, it } from "vitest";
import { bucketRuns, bucketTotal } from "../../../web/src/lib/run-buckets";
import { makeRun } from "../factories";

describe("the runs-over-time chart", () => {
  const now = Date.parse("2026-11-22T12:30:00Z");

  it("puts each run of the last 24 hours in its hour, split by outcome", () => {
    const buckets = bucketRuns(
      [
        makeRun({ status: "completed", created_at: "2026-11-22T12:10:00Z" }),
        makeRun({ status: "failed", created_at: "2026-11-22T12:20:00Z" }),
        makeRun({ status: "running", created_at: "2026-11-22T12:25:00Z" }),
        makeRun({ status: "completed", created_at: "2026-11-22T01:05:00Z" }),
      ],
      now,
    );

    expect(buckets).toHaveLength(24);
    expect(buckets.at(-1)).toMatchObject({ completed: 1, failed: 1, other: 1 });
    expect(new Date(buckets.at(-1)?.start ?? 0).toISOString()).toBe("2026-11-22T12:00:00.000Z");
    expect(buckets.reduce((sum, bucket) => sum + bucketTotal(bucket), 0)).toBe(4);
  });

  it("leaves out runs older than the window", () => {
    const buckets = bucketRuns([makeRun({ status: "completed", created_at: "2026-11-21T12:00:00Z" })], now);

    expect(buckets.reduce((sum, bucket) => sum + bucketTotal(bucket), 0)).toBe(0);
  });
});
