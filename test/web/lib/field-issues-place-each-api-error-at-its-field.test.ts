import { describe, expect, it } from "vitest";
import { draftFromConnection, ruleDraft } from "../../../web/src/lib/connection-draft";
import { draftFieldPaths } from "../../../web/src/lib/connection-field-paths";
import { fieldId, placeIssues, validationIssues } from "../../../web/src/lib/field-issues";
import { makeConnectionDetail } from "../factories";

const fields = () => {
  const draft = draftFromConnection(makeConnectionDetail());
  draft.mapping.push(ruleDraft({ formatter: "map" }));
  return draftFieldPaths(draft);
};

describe("placeIssues", () => {
  it("puts a mapping rule's error on that rule's field", () => {
    const placed = placeIssues([{ path: "config.mapping[1].destination", message: 'destination "status" is already used by mapping[0]' }], fields());

    expect(placed.byField).toEqual({ "config.mapping[1].destination": ['destination "status" is already used by mapping[0]'] });
    expect(placed.unplaced).toEqual([]);
  });

  it("puts an error inside a field (a header name, a map option) on that field and names the inner key", () => {
    const placed = placeIssues(
      [
        { path: "config.fetch.headers.Host", message: 'header "Host" is set by the runtime' },
        { path: "config.mapping[2].options.map", message: 'formatter "map" needs a non-empty options.map' },
      ],
      fields(),
    );

    expect(placed.byField["config.fetch.headers"]).toEqual(['Host: header "Host" is set by the runtime']);
    expect(placed.byField["config.mapping[2].options.map"]).toEqual(['formatter "map" needs a non-empty options.map']);
  });

  it("falls back to the section when no field matches, and to the summary when nothing does", () => {
    const placed = placeIssues(
      [
        { path: "config.mapping", message: "a mapping needs at least one field rule" },
        { path: "config.fetch.mode", message: 'must be one of "per_serial", "list"' },
        { path: "config.sourcery", message: "unknown field" },
        { path: "expected_version", message: "disagrees with If-Match (3)" },
      ],
      fields(),
    );

    expect(placed.byField["config.mapping"]).toEqual(["a mapping needs at least one field rule"]);
    expect(placed.byField["config.fetch.mode"]).toEqual(['must be one of "per_serial", "list"']);
    expect(placed.byField["config"]).toEqual(["sourcery: unknown field"]);
    expect(placed.unplaced).toEqual([{ path: "expected_version", message: "disagrees with If-Match (3)" }]);
  });

  it("keeps every problem of one field, in order, and counts the field once", () => {
    const placed = placeIssues(
      [
        { path: "config.fetch.url_template", message: "URL template must contain {serial}" },
        { path: "expected_version", message: "disagrees with If-Match (3)" },
        { path: "config.fetch.url_template", message: '"x" is not an absolute URL' },
      ],
      fields(),
    );

    expect(placed.byField["config.fetch.url_template"]).toEqual(["URL template must contain {serial}", '"x" is not an absolute URL']);
    expect(placed.owners).toEqual(["config.fetch.url_template", null, "config.fetch.url_template"]);
    expect(placed.fieldCount).toBe(2);
  });

  it("does not let a field claim a sibling whose name merely starts the same", () => {
    const placed = placeIssues([{ path: "config.source.url_extra", message: "unknown field" }], ["config.source", "config.source.url"]);

    expect(placed.byField).toEqual({ "config.source": ["url_extra: unknown field"] });
  });
});

describe("validationIssues", () => {
  it("reads the details of a validation failure and the field a conflict names", () => {
    const details = [{ path: "schedule", message: "this schedule never fires", in: "body" as const }];

    expect(validationIssues({ details })).toEqual(details);
    expect(validationIssues({ details: [{ path: "name", message: 'The credential already has a connection named "A".' }] })).toEqual([
      { path: "name", message: 'The credential already has a connection named "A".' },
    ]);
    expect(validationIssues({ details: [] })).toEqual([]);
    // A 404 names the path's id: no form field has it, so the form shows the message instead.
    expect(validationIssues({ details: [{ path: "id", message: "no connection with this id", in: "path" }] })).toEqual([]);
  });
});

describe("fieldId", () => {
  it("turns a path into an id an error summary can link to", () => {
    expect(fieldId("config.mapping[2].destination")).toBe("field-config-mapping-2-destination");
  });
});
