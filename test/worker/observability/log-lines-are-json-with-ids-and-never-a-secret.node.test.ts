import { describe, expect, it } from "vitest";
import { createLogger, type LogLevel } from "../../../worker/observability/log";

function capture(secrets: readonly string[] = []) {
  const lines: Array<{ level: LogLevel; line: string }> = [];
  const logger = createLogger(
    {},
    () => secrets,
    (level, line) => lines.push({ level, line }),
  );
  return { logger, lines, parsed: () => lines.map(({ line }) => JSON.parse(line) as Record<string, unknown>) };
}

describe("the worker's log", () => {
  it("writes one JSON line per call with level, message, time and the ids in scope", () => {
    const { logger, lines, parsed } = capture();
    const job = logger.with({ run_id: "run_1", connection_id: "con_1" });
    job.warn("a slice was slow", { job_id: "job_1", duration_ms: 1234 });
    logger.error("boom", { error: new Error("it broke", { cause: new Error("deeper") }) });

    expect(lines.map((entry) => entry.level)).toEqual(["warn", "error"]);
    expect(lines.every(({ line }) => !line.includes("\n"))).toBe(true);
    const [warn, error] = parsed();
    expect(warn).toMatchObject({ level: "warn", msg: "a slice was slow", run_id: "run_1", job_id: "job_1", connection_id: "con_1", duration_ms: 1234 });
    expect(new Date(String(warn!.time)).toISOString()).toBe(warn!.time);
    expect(error).toMatchObject({ level: "error", msg: "boom", error: { name: "Error", message: "it broke", cause: { message: "deeper" } } });
  });

  it("masks the secrets it is given, secret-named fields and secret-looking values, in messages and fields", () => {
    const { logger, lines } = capture(["s3cr3t-client-value"]);
    logger.info("token refresh answered s3cr3t-client-value", {
      credential_id: "cred_1",
      api_key: "k-1234567890",
      headers: { Authorization: "Bearer abcdef123456", "x-trace": "fine" },
      url: "https://user:hunter22@api.example.com/items?access_token=zzz999&page=2",
      body: { echoed: encodeURIComponent("s3cr3t-client-value") },
    });
    const text = lines[0]!.line;
    for (const secret of ["s3cr3t-client-value", "s3cr3t-client-value".replace(/-/g, "%2D"), "k-1234567890", "abcdef123456", "hunter22", "zzz999"]) {
      expect(text).not.toContain(secret);
    }
    const line = JSON.parse(text) as Record<string, any>;
    expect(line.credential_id).toBe("cred_1");
    expect(line.api_key).toBe("[redacted]");
    expect(line.headers).toEqual({ Authorization: "[redacted]", "x-trace": "fine" });
    expect(line.url).toBe("https://user:[redacted]@api.example.com/items?access_token=[redacted]&page=2");
    expect(line.msg).toBe("token refresh answered [redacted]");
  });

  it("keeps its own keys: a field cannot overwrite the level, message or time", () => {
    const { logger, parsed } = capture();
    logger.info("real", { level: "error", msg: "fake", time: "never" });
    expect(parsed()[0]).toMatchObject({ level: "info", msg: "real" });
    expect(parsed()[0]!.time).not.toBe("never");
  });
});
