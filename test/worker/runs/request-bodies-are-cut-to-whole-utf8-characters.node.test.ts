import { describe, expect, it } from "vitest";
import { bodyExcerpt, toRequestRecord } from "../../../worker/runs/request-record";

const bytes = (text: string) => new TextEncoder().encode(text).byteLength;

describe("a request body in the request log", () => {
  it("is kept whole when it fits", () => {
    expect(bodyExcerpt('{"a":1}', 7)).toEqual({ text: '{"a":1}', cut: false });
    expect(bodyExcerpt("ä".repeat(10), 20)).toEqual({ text: "ä".repeat(10), cut: false });
    expect(bodyExcerpt(null, 10)).toEqual({ text: null, cut: false });
  });

  it("is cut to the byte limit without splitting a character, and marked", () => {
    for (const limit of [1, 2, 3, 4, 5, 7, 64]) {
      const { text, cut } = bodyExcerpt("aä€😀".repeat(40), limit);
      expect(cut).toBe(true);
      expect(text!.endsWith("…")).toBe(true);
      const kept = text!.slice(0, -1);
      expect(bytes(kept)).toBeLessThanOrEqual(limit);
      expect("aä€😀".repeat(40).startsWith(kept)).toBe(true);
      expect(kept).not.toContain("\uFFFD");
    }
  });

  it("is not kept at all when the setting is 0", () => {
    expect(bodyExcerpt("{}", 0)).toEqual({ text: null, cut: true });
  });

  it("is cut on both sides of an attempt, which is marked truncated", () => {
    const record = toRequestRecord(
      "job_1",
      {
        phase: "update",
        method: "PUT",
        url: "https://dest.example/devices/A",
        serials: ["A"],
        attempt: 1,
        retry_reason: null,
        sent_at: 5,
        concurrency: 6,
        duration_ms: 12.6,
        request_headers: {},
        request_body: "x".repeat(100),
        status: 200,
        error: null,
        response_headers: {},
        response_body: "ok",
      },
      10,
    );
    expect(record).toMatchObject({
      job_id: "job_1",
      at: 5,
      duration_ms: 13,
      request_body: `${"x".repeat(10)}…`,
      response_body: "ok",
      truncated: true,
      serials: ["A"],
      concurrency: 6,
    });
  });
});
