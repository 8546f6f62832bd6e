import { assert, describe, expect, it } from "vitest";
import {
  FetchContractSchema,
  formatIssuePath,
  LimitsSchema,
  UpdateContractSchema,
  validateConnectionConfig,
  validateWith,
} from "../../worker/engine/contracts";
import { makeConfigInput } from "./factories";

function issuesOf(overrides: Parameters<typeof makeConfigInput>[0]) {
  const result = validateConnectionConfig(makeConfigInput(overrides));
  return result.ok ? [] : result.issues;
}

function expectIssue(overrides: Parameters<typeof makeConfigInput>[0], path: string, message: string | RegExp) {
  const issues = issuesOf(overrides);
  expect(issues.map((i) => i.path)).toContain(path);
  expect(issues.find((i) => i.path === path)!.message).toMatch(message);
}

const update = (fields: Record<string, unknown>) => ({
  method: "PUT",
  url_template: "https://dest.example/devices/{id}",
  formatter: "json",
  ...fields,
});

describe("connection config validation", () => {
  it("accepts a minimal config and fills in the defaults", () => {
    const result = validateConnectionConfig(makeConfigInput());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.mapping[0]).toEqual({
      source: "name",
      destination: "name",
      formatter: "string",
      action: "update_if_changed",
      on_null: "skip",
      required: false,
    });
    expect(result.value.limits).toEqual({
      requests_per_second: 10,
      concurrency: 2,
      timeout_ms: 10_000,
      retry_attempts: 3,
      stop_on_failure: false,
      max_response_bytes: 10 * 1024 * 1024,
      max_pages: 100_000,
    });
    expect(result.value.update.headers).toEqual({});
    expect(result.value.source).toMatchObject({ pagination: { style: "none" }, format: "json" });
  });

  it("accepts the dataset source and a list lookup with page pagination", () => {
    const result = validateConnectionConfig(
      makeConfigInput({
        source: { kind: "dataset" },
        fetch: {
          mode: "list",
          url: "https://dest.example/devices",
          format: "xml",
          pagination: { style: "page", size_param: "per_page" },
          records_path: "devices.device",
          serial_path: "serial",
        },
      }),
    );
    expect(result.ok).toBe(true);
    assert(result.ok && result.value.fetch.mode === "list", "a valid list-mode fetch contract");
    expect(result.value.fetch.pagination).toEqual({ style: "page", page_param: "page", size_param: "per_page", page_size: 100, first_page: 1 });
  });

  it("names issues by field path, e.g. mapping[2].destination", () => {
    expect(formatIssuePath(["mapping", 2, "destination"])).toBe("mapping[2].destination");
    expect(formatIssuePath(["update", "url_template"])).toBe("update.url_template");
  });

  it("rejects an update URL template with unbalanced braces", () => {
    expectIssue({ update: update({ url_template: "https://dest.example/devices/{id" }) }, "update.url_template", /never closed/);
    expectIssue({ update: update({ url_template: "https://dest.example/devices/id}" }) }, "update.url_template", /unmatched/);
  });

  it("rejects a placeholder that is not a path", () => {
    expectIssue({ update: update({ url_template: "https://dest.example/{a b}" }) }, "update.url_template", /placeholder "\{a b\}"/);
  });

  it("rejects a per_serial lookup template without {serial}", () => {
    const fetch = { mode: "per_serial", url_template: "https://dest.example/devices", serial_path: "serial" };
    expectIssue({ fetch }, "fetch.url_template", "URL template must contain {serial}");
  });

  it("rejects a per_serial lookup template with a placeholder other than {serial}", () => {
    const fetch = { mode: "per_serial", url_template: "https://dest.example/{serial}/{id}", serial_path: "serial" };
    expectIssue({ fetch }, "fetch.url_template", "unknown placeholder {id}: only {serial} is available here");
  });

  it.each([
    "https:{id}.example.com/devices",
    "https:/{id}",
    "https://{id}",
    "https://{id}.example.com/devices",
    "https://api.example.com{id}",
    "https://api.example.com:{id}/devices",
    "https:\\\\{id}",
    "https://api.example.com\\{id}",
  ])("refuses the update URL template %j, whose placeholder could move the host", (url_template) => {
    expectIssue({ update: update({ url_template }) }, "update.url_template", /only after the host/);
  });

  it.each(["https:{serial}.example.com", "https:/{serial}", "https://{serial}/x", "https://dest.example{serial}"])(
    "refuses the fetch URL template %j, whose placeholder could move the host",
    (url_template) => {
      expectIssue({ fetch: { mode: "per_serial", url_template, serial_path: "serial" } }, "fetch.url_template", /only after the host/);
    },
  );

  it("refuses backslashes in URLs, which a URL parser reads as slashes", () => {
    expectIssue({ update: update({ url_template: "https://dest.example/devices\\{id}" }) }, "update.url_template", /backslash/);
    expectIssue({ source: { kind: "http", url: "https:\\\\evil.example\\devices", serial_path: "serial" } }, "source.url", /backslash/);
  });

  it("rejects URLs that are not http(s)", () => {
    expectIssue({ update: update({ url_template: "ftp://dest.example/{id}" }) }, "update.url_template", /http: or https:/);
    expectIssue({ update: update({ url_template: "/devices/{id}" }) }, "update.url_template", /not an absolute URL/);
    expectIssue({ source: { kind: "http", url: "javascript:alert(1)", serial_path: "serial" } }, "source.url", /http: or https:/);
  });

  it("rejects credentials inside a URL", () => {
    expectIssue({ source: { kind: "http", url: "https://u:p@source.example/", serial_path: "serial" } }, "source.url", /credential/);
  });

  it("rejects placeholders in a plain URL", () => {
    expectIssue({ source: { kind: "http", url: "https://source.example/{serial}", serial_path: "serial" } }, "source.url", /not a template/);
  });

  it("rejects an xml formatter without xml_root", () => {
    expectIssue({ update: update({ formatter: "xml" }) }, "update.xml_root", 'xml_root is required when formatter is "xml"');
  });

  it("rejects an xml_root that is not an XML element name", () => {
    expectIssue({ update: update({ formatter: "xml", xml_root: "bad root" }) }, "update.xml_root", /not a valid XML element name/);
  });

  it("rejects destinations that are not XML element names when the formatter is xml", () => {
    expectIssue(
      {
        update: update({ formatter: "xml", xml_root: "device" }),
        mapping: [
          { source: "a", destination: "ok" },
          { source: "b", destination: "meta.$bad" },
        ],
      },
      "mapping[1].destination",
      /"\$bad" is not a valid XML element name/,
    );
  });

  it("rejects invalid path syntax where a path is expected", () => {
    expectIssue({ mapping: [{ source: "a..b", destination: "x" }] }, "mapping[0].source", /empty key/);
    expectIssue(
      { source: { kind: "http", url: "https://source.example/", serial_path: "serial", records_path: "data[" } },
      "source.records_path",
      /never closed/,
    );
  });

  it("rejects an empty serial path", () => {
    expectIssue({ fetch: { mode: "list", url: "https://dest.example/", serial_path: "" } }, "fetch.serial_path", /must not be empty/);
  });

  it("rejects duplicate mapping destinations", () => {
    expectIssue(
      {
        mapping: [
          { source: "a", destination: "x" },
          { source: "b", destination: "y" },
          { source: "c", destination: "x" },
        ],
      },
      "mapping[2].destination",
      'destination "x" is already used by mapping[0]',
    );
  });

  it("rejects a destination nested inside another destination", () => {
    expectIssue(
      {
        mapping: [
          { source: "a", destination: "meta.site" },
          { source: "b", destination: "meta" },
        ],
      },
      "mapping[0].destination",
      /inside "meta"/,
    );
  });

  it("compares destinations by their keys, so a quoted key is the same destination as its plain spelling", () => {
    expectIssue(
      {
        mapping: [
          { source: "a", destination: "meta.site" },
          { source: "b", destination: '["meta"]' },
        ],
      },
      "mapping[0].destination",
      /inside "\["meta"\]"/,
    );
    expectIssue(
      {
        mapping: [
          { source: "a", destination: "x" },
          { source: "b", destination: '["x"]' },
        ],
      },
      "mapping[1].destination",
      'destination "["x"]" is already used by mapping[0]',
    );
    // A key holding a dot is one key, not a parent of "a".
    expect(
      issuesOf({
        mapping: [
          { source: "a", destination: "a" },
          { source: "b", destination: '["a.b"]' },
        ],
      }),
    ).toEqual([]);
  });

  it("rejects a destination with an index", () => {
    expectIssue({ mapping: [{ source: "a", destination: "tags[0]" }] }, "mapping[0].destination", /indexes/);
  });

  it("rejects an empty mapping", () => {
    expectIssue({ mapping: [] }, "mapping", /at least one field rule/);
  });

  it("rejects a map formatter without options.map", () => {
    expectIssue({ mapping: [{ source: "a", destination: "x", formatter: "map" }] }, "mapping[0].options.map", /options.map/);
  });

  it("rejects a template formatter without options.template, or with a broken one", () => {
    expectIssue({ mapping: [{ destination: "x", formatter: "template" }] }, "mapping[0].options.template", /needs options.template/);
    expectIssue({ mapping: [{ destination: "x", formatter: "template", options: { template: "{first" } }] }, "mapping[0].options.template", /never closed/);
  });

  it("accepts a template formatter without a source", () => {
    expect(issuesOf({ mapping: [{ destination: "x", formatter: "template", options: { template: "{a} {b}" } }] })).toEqual([]);
  });

  it("rejects a default formatter without options.default", () => {
    expectIssue({ mapping: [{ source: "a", destination: "x", formatter: "default" }] }, "mapping[0].options.default", /options.default/);
  });

  it("rejects a rule without a source unless it is a template", () => {
    expectIssue({ mapping: [{ destination: "x", formatter: "number" }] }, "mapping[0].source", /needs a source path/);
  });

  it("rejects an unknown formatter and action by field", () => {
    const issues = issuesOf({ mapping: [{ source: "a", destination: "x", formatter: "money", action: "sometimes" }] });
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(["mapping[0].formatter", "mapping[0].action"]));
  });

  it("rejects placeholders in a bulk update URL", () => {
    expectIssue({ update: update({ bulk: { max_records: 50, records_key: "devices" } }) }, "update.url_template", /bulk request has one URL/);
  });

  it("rejects a bulk records_key that is not an element name when the formatter is xml", () => {
    const result = validateWith(UpdateContractSchema, {
      method: "POST",
      url_template: "https://dest.example/bulk",
      formatter: "xml",
      xml_root: "devices",
      bulk: { max_records: 10, records_key: "<device>" },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toEqual(["bulk.records_key"]);
  });

  it("rejects header injection and runtime-owned headers", () => {
    expectIssue({ update: update({ headers: { "x-ok": "a\r\nx-evil: 1" } }) }, "update.headers.x-ok", /line breaks/);
    expectIssue({ update: update({ headers: { "bad header": "1" } }) }, "update.headers.bad header", /not a valid header name/);
    expectIssue({ update: update({ headers: { Host: "x" } }) }, "update.headers.Host", /set by the runtime/);
  });

  it("takes an idempotency header name, or null/false to send none, and keeps configs without it valid", () => {
    expect(issuesOf({ update: update({}) })).toEqual([]);
    for (const value of ["X-Request-Key", null, false]) expect(issuesOf({ update: update({ idempotency_header: value }) })).toEqual([]);
    expectIssue({ update: update({ idempotency_header: "bad header" }) }, "update.idempotency_header", /not a valid header name/);
    expectIssue({ update: update({ idempotency_header: "Authorization" }) }, "update.idempotency_header", /cannot carry/);
    expectIssue({ update: update({ idempotency_header: "X-Key", headers: { "x-key": "fixed" } }) }, "update.idempotency_header", /also set in headers/);
  });

  it("lets a dataset name its serial field, and keeps datasets without one valid", () => {
    expect(issuesOf({ source: { kind: "dataset" } })).toEqual([]);
    expect(issuesOf({ source: { kind: "dataset", serial_path: '["Serial Number"]' } })).toEqual([]);
    expectIssue({ source: { kind: "dataset", serial_path: "" } }, "source.serial_path", /must not be empty/);
    expectIssue({ source: { kind: "dataset", serial_path: "a..b" } }, "source.serial_path", /./);
  });

  it("takes the 4xx statuses that refuse one record, refusing those that are the request's fault, retried, or also a success", () => {
    expect(UpdateContractSchema.parse(update({})).record_refusal_statuses).toBeUndefined();
    for (const value of [[], [400, 404, 409, 422], [423]]) expect(issuesOf({ update: update({ record_refusal_statuses: value }) })).toEqual([]);
    for (const status of [401, 403, 405, 407, 408, 415, 429]) {
      expectIssue({ update: update({ record_refusal_statuses: [422, status] }) }, "update.record_refusal_statuses[1]", /request's fault or is retried/);
    }
    expectIssue({ update: update({ record_refusal_statuses: [500] }) }, "update.record_refusal_statuses[0]", /<=499|at most|too big/i);
    expectIssue({ update: update({ record_refusal_statuses: [399] }) }, "update.record_refusal_statuses[0]", />=400|at least|too small/i);
    expectIssue(
      { update: update({ success_statuses: [200, 409], record_refusal_statuses: [409] }) },
      "update.record_refusal_statuses[0]",
      /also a success status/,
    );
  });

  it("takes If-Match from the lookup's ETag header or a record field, per serial only for the header, never in bulk", () => {
    for (const if_match of [{ from: "etag_header" }, { from: "record", path: '["@odata.etag"]' }]) {
      expect(issuesOf({ update: update({ if_match }) })).toEqual([]);
    }
    expectIssue({ update: update({ if_match: { from: "record" } }) }, "update.if_match.path", /name the field/);
    expectIssue({ update: update({ if_match: { from: "etag_header", path: "_etag" } }) }, "update.if_match.path", /leave path out/);
    expectIssue({ update: update({ if_match: { from: "header" } }) }, "update.if_match.from", /etag_header|record/);
    expectIssue({ update: update({ if_match: { from: "etag_header" }, headers: { "If-Match": '"v1"' } }) }, "update.headers", /fixed value/);
    expectIssue(
      { update: update({ if_match: { from: "record", path: "_etag" }, bulk: { max_records: 10, records_key: "records" } }) },
      "update.if_match",
      /no one version/,
    );
    const listed = { mode: "list", url: "https://dest.example/devices", serial_path: "serial" };
    expectIssue({ fetch: listed, update: update({ if_match: { from: "etag_header" } }) }, "update.if_match.from", /no ETag header per record/);
    expect(issuesOf({ fetch: listed, update: update({ if_match: { from: "record", path: "version" } }) })).toEqual([]);
  });

  it("takes read-back verification off, sampled or on, with a sample percentage from 1 to 100, and keeps configs without it valid", () => {
    const parsed = UpdateContractSchema.parse(update({}));
    expect(parsed.verify_writes).toBeUndefined();
    expect(parsed.verify_sample_percent).toBeUndefined();
    for (const mode of ["off", "sample", "all"]) expect(issuesOf({ update: update({ verify_writes: mode, verify_sample_percent: 25 }) })).toEqual([]);
    expectIssue({ update: update({ verify_writes: "some" }) }, "update.verify_writes", /off|sample|all/);
    expectIssue({ update: update({ verify_writes: "sample", verify_sample_percent: 0 }) }, "update.verify_sample_percent", />=1|at least|too small/i);
    expectIssue({ update: update({ verify_writes: "sample", verify_sample_percent: 101 }) }, "update.verify_sample_percent", /<=100|at most|too big/i);
    expectIssue({ update: update({ verify_writes: "sample", verify_sample_percent: 12.5 }) }, "update.verify_sample_percent", /integer|int/i);
  });

  it("rejects limits outside their ranges", () => {
    const result = validateWith(LimitsSchema, { concurrency: 7, requests_per_second: 0, retry_attempts: 11 });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => i.path).sort()).toEqual(["concurrency", "requests_per_second", "retry_attempts"]);
    }
  });

  it("requires updated_at_path when since_param is set", () => {
    expectIssue(
      { source: { kind: "http", url: "https://source.example/", serial_path: "serial", since_param: "since" } },
      "source.updated_at_path",
      /since_param needs updated_at_path/,
    );
  });

  it("works on the part schemas alone with paths relative to the part", () => {
    const result = validateWith(FetchContractSchema, { mode: "per_serial", url_template: "https://x.example/", serial_path: "s" });
    expect(result).toEqual({ ok: false, issues: [{ path: "url_template", message: "URL template must contain {serial}" }] });
  });

  it("reports every independent problem in one pass", () => {
    const issues = issuesOf({
      update: update({ formatter: "xml" }),
      mapping: [{ source: "a", destination: "x", formatter: "map" }],
      limits: { concurrency: 0 },
    });
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(["update.xml_root", "mapping[0].options.map", "limits.concurrency"]));
  });
});
