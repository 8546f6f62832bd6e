import { describe, expect, it } from "vitest";
import { diffSnapshots, formatDiffValue } from "../../../web/src/lib/version-diff";
import { makeConfig, makeConnectionDetail, makeFieldRule, snapshotOfConnection } from "../factories";

describe("diffSnapshots", () => {
  const before = snapshotOfConnection(makeConnectionDetail({ name: "Device status", schedule: null }));

  it("finds nothing between identical snapshots", () => {
    expect(diffSnapshots(before, structuredClone(before))).toEqual([]);
  });

  it("names each changed leaf with the API's path notation", () => {
    const after = structuredClone(before);
    after.name = "Device status (nightly)";
    after.schedule = "0 3 * * *";
    after.config.limits.timeout_ms = 12_000;
    after.config.mapping[1]!.formatter = "lowercase";

    expect(diffSnapshots(before, after)).toEqual([
      { path: "name", kind: "changed", before: "Device status", after: "Device status (nightly)" },
      { path: "schedule", kind: "changed", before: null, after: "0 3 * * *" },
      { path: "config.mapping[1].formatter", kind: "changed", before: "uppercase", after: "lowercase" },
      { path: "config.limits.timeout_ms", kind: "changed", before: 10_000, after: 12_000 },
    ]);
  });

  it("reports added and removed fields, such as a new rule or a dropped header", () => {
    const withHeader = { ...before, config: makeConfig({ mapping: [makeFieldRule()] }) };
    withHeader.config.update.headers = { "X-Tenant": "acme" };
    const after = structuredClone(withHeader);
    after.config.update.headers = {};
    after.config.mapping.push(makeFieldRule({ source: "battery", destination: "battery", formatter: "integer" }));

    const entries = diffSnapshots(withHeader, after);

    expect(entries).toContainEqual({ path: "config.update.headers", kind: "added", before: undefined, after: {} });
    expect(entries).toContainEqual({ path: 'config.update.headers["X-Tenant"]', kind: "removed", before: "acme", after: undefined });
    expect(entries).toContainEqual({ path: "config.mapping[1].formatter", kind: "added", before: undefined, after: "integer" });
    expect(entries.filter((entry) => entry.path.startsWith("config.mapping[0]"))).toEqual([]);
  });

  it("follows a change of contract kind: the old variant's fields go, the new ones come", () => {
    const after = structuredClone(before);
    after.config.source = {
      kind: "http",
      url: "https://source.example.com/devices",
      headers: {},
      pagination: { style: "none" },
      format: "json",
      records_path: "",
      serial_path: "serial",
    };

    const paths = diffSnapshots(before, after).map((entry) => `${entry.kind} ${entry.path}`);

    expect(paths).toContain("changed config.source.kind");
    expect(paths).toContain("added config.source.url");
    expect(paths).toContain("added config.source.pagination.style");
  });
});

describe("formatDiffValue", () => {
  it("quotes text, keeps numbers and shows an absent value as a dash", () => {
    expect(formatDiffValue("PATCH")).toBe('"PATCH"');
    expect(formatDiffValue(12_000)).toBe("12000");
    expect(formatDiffValue(null)).toBe("null");
    expect(formatDiffValue(undefined)).toBe("—");
  });
});
