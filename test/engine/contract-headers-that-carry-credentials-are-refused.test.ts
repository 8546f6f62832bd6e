import { describe, expect, it } from "vitest";
import { validateConnectionConfig } from "../../worker/engine/contracts";
import { makeConfigInput } from "./factories";

function issuesFor(part: "source" | "fetch" | "update", headers: Record<string, string>) {
  const base = makeConfigInput();
  const config =
    part === "source"
      ? { ...base, source: { kind: "http", url: "https://src.example/devices", serial_path: "serial", headers } }
      : { ...base, [part]: { ...(base[part] as object), headers } };
  const result = validateConnectionConfig(config);
  return result.ok ? [] : result.issues;
}

describe("contract headers", () => {
  it.each([
    "Authorization",
    "proxy-authorization",
    "Cookie",
    "X-API-Key",
    "api-key",
    "apikey",
    "X-Auth-Token",
    "X-Access-Token",
    "AccessToken",
    "X-Client-Secret",
    "X-Password",
    "Ocp-Apim-Subscription-Key",
    "X-Auth-Key",
    "X-Session-Id",
  ])("refuse %s, pointing at the credential", (name) => {
    for (const part of ["source", "fetch", "update"] as const) {
      const issues = issuesFor(part, { [name]: "value" });
      expect(
        issues.map((i) => i.path),
        part,
      ).toEqual([`${part}.headers.${name}`]);
      expect(issues[0]!.message).toMatch(/credential/);
    }
  });

  it("name the credential scheme to use instead", () => {
    expect(issuesFor("update", { Authorization: "Bearer x" })[0]!.message).toMatch(/bearer, basic or OAuth2 credential/);
    expect(issuesFor("update", { "X-API-Key": "x" })[0]!.message).toMatch(/api_key credential with header name "X-API-Key"/);
  });

  it.each(["X-Tenant", "Accept-Language", "Idempotency-Key", "X-Request-Id", "X-Keyboard-Layout", "If-Match"])("accept ordinary headers such as %s", (name) => {
    expect(issuesFor("update", { [name]: "value" })).toEqual([]);
  });
});
