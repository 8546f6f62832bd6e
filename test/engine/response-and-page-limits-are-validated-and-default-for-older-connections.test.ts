import { describe, expect, it } from "vitest";
import { LIMIT_DEFAULTS, LimitsSchema, validateConnectionConfig, validateWith, withLimitDefaults } from "../../worker/engine/contracts";
import { makeConfigInput } from "./factories";

const MiB = 1024 * 1024;

describe("the response size and page limits of a connection", () => {
  it("default to 10 MiB per response and 100,000 pages per read", () => {
    const result = validateConnectionConfig(makeConfigInput());
    expect(result.ok && result.value.limits).toMatchObject({ max_response_bytes: 10 * MiB, max_pages: 100_000 });
    expect(LIMIT_DEFAULTS).toMatchObject({ max_response_bytes: 10 * MiB, max_pages: 100_000 });
  });

  it("accept values within their bounds", () => {
    const result = validateWith(LimitsSchema, { max_response_bytes: 1024, max_pages: 1 });
    expect(result.ok && result.value).toMatchObject({ max_response_bytes: 1024, max_pages: 1 });
    expect(validateWith(LimitsSchema, { max_response_bytes: 32 * MiB, max_pages: 10_000_000 }).ok).toBe(true);
  });

  it.each([
    ["max_response_bytes", 1023, /1024/],
    ["max_response_bytes", 32 * MiB + 1, /33554432/],
    ["max_response_bytes", 1024.5, /int/],
    ["max_pages", 0, /1/],
    ["max_pages", 10_000_001, /10000000/],
    ["max_pages", 2.5, /int/],
  ])("refuse %s = %s, naming the field", (field, value, message) => {
    const result = validateConnectionConfig(makeConfigInput({ limits: { [field]: value } }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.issues.find((i) => i.path === `limits.${field}`);
    expect(issue?.message).toMatch(message);
  });

  it("are filled in for a connection stored before they existed", () => {
    const stored = { ...makeConfigInput(), limits: { requests_per_second: 5, concurrency: 1, timeout_ms: 5000, retry_attempts: 1, stop_on_failure: true } };
    const result = validateConnectionConfig(stored);
    expect(result.ok && result.value.limits).toEqual({ ...stored.limits, max_response_bytes: 10 * MiB, max_pages: 100_000 });
    // Reading a stored config for the API gives the same limits a run will use.
    expect(withLimitDefaults(stored).limits).toEqual({ ...stored.limits, max_response_bytes: 10 * MiB, max_pages: 100_000 });
    expect(withLimitDefaults({ ...stored, limits: { ...stored.limits, max_pages: 7 } }).limits.max_pages).toBe(7);
  });
});
