import { describe, expect, it } from "vitest";
import { checkAnswer, compileAnswerCheck } from "../../worker/engine/answer-check";
import { AnswerCheckSchema, type AnswerCheck } from "../../worker/engine/contracts";

const URL = "https://api.example.com/graphql";
const check = (spec: AnswerCheck, text: string, format: "json" | "xml" = "json") => checkAnswer(compileAnswerCheck(spec), format, text, URL);

describe("a success answer read for a failure it reports", () => {
  it("refuses a GraphQL answer with errors, in the first error's message", () => {
    const text = JSON.stringify({ data: null, errors: [{ message: "Field 'battery' must be at most 100", path: ["updateDevice"] }, { message: "second" }] });
    expect(check({ error_path: "errors" }, text)).toEqual({ kind: "refused", message: "Field 'battery' must be at most 100" });
  });

  it("accepts a GraphQL answer whose errors are absent, null or empty", () => {
    for (const errors of [undefined, null, []]) {
      expect(check({ error_path: "errors" }, JSON.stringify({ data: { updateDevice: { id: 1 } }, errors }))).toEqual({ kind: "accepted" });
    }
  });

  it("refuses a Slack-style answer whose ok is false, in the message the contract points at", () => {
    const spec = { ok_path: "ok", message_path: "error.message" };
    expect(check(spec, JSON.stringify({ ok: false, error: { code: "INVALID_CONTENT", message: "battery must be 0-100" } }))).toEqual({
      kind: "refused",
      message: "battery must be 0-100",
    });
    expect(check({ ok_path: "ok" }, JSON.stringify({ ok: "false" }))).toEqual({ kind: "refused", message: "ok is false" });
    expect(check({ ok_path: "ok", error_path: "error" }, JSON.stringify({ ok: false, error: "channel_not_found" }))).toEqual({
      kind: "refused",
      message: "channel_not_found",
    });
    for (const ok of [true, "true", 1, undefined]) expect(check(spec, JSON.stringify({ ok }))).toEqual({ kind: "accepted" });
  });

  it("names an error that is neither text nor a list of messages by its JSON", () => {
    expect(check({ error_path: "fault" }, JSON.stringify({ fault: { code: 17 } }))).toEqual({ kind: "refused", message: '{"code":17}' });
  });

  it("reads an XML answer the same way", () => {
    expect(check({ error_path: "result.error" }, "<result><error>no such device</error></result>", "xml")).toEqual({
      kind: "refused",
      message: "no such device",
    });
    expect(check({ error_path: "result.error" }, "<result><error/></result>", "xml")).toEqual({ kind: "accepted" });
  });

  it("takes an empty answer as accepted and one it cannot parse as unreadable", () => {
    expect(check({ ok_path: "ok" }, "  ")).toEqual({ kind: "accepted" });
    expect(check({ ok_path: "ok" }, "<html>gateway</html>")).toMatchObject({ kind: "unreadable", reason: expect.stringContaining("not JSON") });
  });

  it("needs an error path or an ok path", () => {
    const parsed = AnswerCheckSchema.safeParse({ message_path: "error" });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual(["error_path: give error_path, ok_path or both"]);
  });
});
