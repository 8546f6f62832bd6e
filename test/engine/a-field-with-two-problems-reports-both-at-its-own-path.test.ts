import { describe, expect, it } from "vitest";
import { z } from "zod";

// workerd forbids eval, so zod parses there without its compiled fast path, and that path prefixes issue paths in
// place. Schemas choose at construction, so the setting comes before the contracts are loaded.
z.config({ jitless: true });
const { validateConnectionConfig } = await import("../../worker/engine/contracts");
const { makeConfigInput } = await import("./factories");

function issuesOf(overrides: Parameters<typeof makeConfigInput>[0]) {
  const result = validateConnectionConfig(makeConfigInput(overrides));
  return result.ok ? [] : result.issues;
}

describe("a field with several problems", () => {
  it("reports every problem of the fetch URL template at fetch.url_template", () => {
    // A placeholder before the host and no {serial}: three problems of one field.
    const issues = issuesOf({ fetch: { mode: "per_serial", url_template: "https://{id}.example/devices", serial_path: "serial" } });
    expect(issues.map((i) => i.path)).toEqual(["fetch.url_template", "fetch.url_template", "fetch.url_template"]);
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringContaining("unknown placeholder {id}"),
      expect.stringContaining("must contain {serial}"),
      expect.stringContaining("only after the host"),
    ]);
  });

  it("reports every problem of a bulk update URL at update.url_template", () => {
    const issues = issuesOf({
      update: {
        method: "POST",
        url_template: "https://dest.example/{a}/{b}",
        formatter: "json",
        bulk: { max_records: 10, records_key: "devices" },
      },
    });
    expect(issues.map((i) => i.path)).toEqual(["update.url_template", "update.url_template"]);
  });

  it("reports problems of two mapping rules each at its own rule", () => {
    const issues = issuesOf({
      mapping: [
        { source: "a", destination: "same" },
        { source: "b", destination: "same" },
        { source: "c", destination: "other", formatter: "map" },
      ],
    });
    expect(issues.map((i) => i.path).sort()).toEqual(["mapping[1].destination", "mapping[2].options.map"]);
  });
});
