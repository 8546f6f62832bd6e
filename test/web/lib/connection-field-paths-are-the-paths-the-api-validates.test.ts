import { describe, expect, expectTypeOf, it } from "vitest";
import { draftFromConnection, ruleDraft } from "../../../web/src/lib/connection-draft";
import { draftFieldPaths, type ConnectionFieldPath } from "../../../web/src/lib/connection-field-paths";
import { makeConfig, makeConnectionDetail } from "../factories";

describe("the connection editor's field paths", () => {
  it("are typed by the API's request schemas, so a path the API does not validate fails the type check", () => {
    expectTypeOf<"config.fetch.url_template">().toExtend<ConnectionFieldPath>();
    expectTypeOf<`config.mapping[${number}].options.map`>().toExtend<ConnectionFieldPath>();
    expectTypeOf<"config.update.bulk.serial_field">().toExtend<ConnectionFieldPath>();
    // @ts-expect-error a misspelt field is no path of the request
    const misspelt: ConnectionFieldPath = "config.fetch.url_templat";
    // @ts-expect-error a header's name is data inside the headers field, not a field of its own
    const header: ConnectionFieldPath = "config.fetch.headers.Host";
    // @ts-expect-error the credential is chosen on create only; a change request cannot move a connection
    const credential: ConnectionFieldPath = "credential_id";
    expect([misspelt, header, credential]).toHaveLength(3);
  });

  it("list the fields of every variant that is switched on, and only those", () => {
    const draft = draftFromConnection(
      makeConnectionDetail({
        config: makeConfig({
          update: { ...makeConfig().update, formatter: "xml", xml_root: "devices", bulk: { max_records: 10, records_key: "records" } },
        }),
      }),
    );
    draft.source.kind = "http";
    draft.source.pagination.style = "cursor";
    draft.fetch.mode = "list";
    draft.fetch.pagination.style = "page";
    draft.mapping = [ruleDraft({ formatter: "template" })];
    draft.update.bulk_item_results = { ...draft.update.bulk_item_results, on: true, match: "index" };
    draft.update.answer_check = { ...draft.update.answer_check, on: true };

    const paths = draftFieldPaths(draft);

    expect(paths).toEqual(
      expect.arrayContaining([
        "config.source.url",
        "config.source.format",
        "config.source.pagination.next_cursor_path",
        "config.fetch.url",
        "config.fetch.pagination.first_page",
        "config.update.xml_root",
        "config.update.bulk.records_key",
        "config.update.bulk.item_results.path",
        "config.update.bulk.item_results.index_path",
        "config.update.answer_check.error_path",
        "config.update.answer_check.message_path",
        "config.mapping[0].options.template",
      ]),
    );
    expect(paths).not.toContain("config.fetch.url_template");
    expect(paths).not.toContain("config.source.pagination.page_param");
    expect(paths).not.toContain("config.mapping[0].options.map");
    expect(paths).not.toContain("config.update.bulk.item_results.serial_path");
    expect(new Set(paths).size).toBe(paths.length);
  });
});
