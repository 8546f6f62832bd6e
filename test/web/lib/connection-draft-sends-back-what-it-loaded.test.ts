import { describe, expect, it } from "vitest";
import type { BulkItemResults, Pagination } from "../../../worker/engine/contracts";
import { snapshotOf } from "../../../web/src/lib/connection-config-from-draft";
import { draftFromSnapshot, newConnectionDraft, ruleDraft } from "../../../web/src/lib/connection-draft";
import { parseMapTable } from "../../../web/src/lib/literal-text";
import { makeConfig, makeConnectionDetail, makeFieldRule, snapshotOfConnection } from "../factories";

describe("the connection draft", () => {
  it("turns every kind of contract into form text and back without changing it", () => {
    const snapshot = snapshotOfConnection(
      makeConnectionDetail({
        schedule: "0 3 * * *",
        config: makeConfig({
          source: {
            kind: "http",
            url: "https://source.example.com/devices",
            headers: { "X-Tenant": "acme" },
            pagination: { style: "page", page_param: "p", size_param: "per_page", page_size: 50, first_page: 0 },
            format: "json",
            records_path: "data.items",
            serial_path: "serial",
            updated_at_path: "updated_at",
            since_param: "since",
          },
          fetch: {
            mode: "list",
            url: "https://api.example.com/devices",
            format: "xml",
            pagination: { style: "cursor", cursor_param: "cursor", next_cursor_path: "meta.next" },
            records_path: "devices.device",
            serial_path: "serial",
            headers: {},
          },
          update: {
            method: "POST",
            url_template: "https://api.example.com/devices/bulk",
            formatter: "xml",
            xml_root: "devices",
            headers: {},
            success_statuses: [200, 207],
            idempotency_header: "X-Request-Key",
            bulk: {
              max_records: 25,
              records_key: "device",
              serial_field: "serial",
              item_results: { path: "results.result", serial_path: "serial", status_path: "status", message_path: "error" },
            },
          },
          mapping: [
            makeFieldRule({ source: "state", destination: "status", formatter: "map", options: { map: { online: "ACTIVE", off: null, "1": true } } }),
            makeFieldRule({ source: "battery", destination: "battery", formatter: "default", options: { default: 0 }, on_null: "write_null", required: true }),
            makeFieldRule({ source: undefined, destination: "label", formatter: "template", options: { template: "{site} {name}" }, action: "always" }),
          ],
        }),
      }),
    );
    delete snapshot.config.mapping[2]!.source;

    expect(snapshotOf(draftFromSnapshot(snapshot))).toEqual(snapshot);
  });

  it("turns offset and keyset pagination into form text and back, with and without their optional parameters", () => {
    const base = makeConfig();
    const listing = (pagination: Pagination) =>
      snapshotOfConnection(
        makeConnectionDetail({
          config: makeConfig({
            fetch: {
              mode: "list",
              url: "https://api.example.com/devices",
              format: "json",
              pagination,
              records_path: "items",
              serial_path: "serial",
              headers: {},
            },
            update: base.update,
          }),
        }),
      );
    const limited = listing({ style: "offset", offset_param: "start", limit_param: "count", page_size: 250, first_offset: 1 });
    const unlimited = listing({ style: "offset", offset_param: "offset", page_size: 100, first_offset: 0 });

    expect(snapshotOf(draftFromSnapshot(limited))).toEqual(limited);
    expect(snapshotOf(draftFromSnapshot(unlimited))).toEqual(unlimited);
    expect(snapshotOf(draftFromSnapshot(unlimited)).config.fetch).not.toHaveProperty("pagination.limit_param");

    const keyset = listing({ style: "keyset", after_param: "starting_after", key_path: "id", has_more_path: "has_more" });
    const keysetToEmptyPage = listing({ style: "keyset", after_param: "after_id", key_path: "meta.id" });
    expect(snapshotOf(draftFromSnapshot(keyset))).toEqual(keyset);
    expect(snapshotOf(draftFromSnapshot(keysetToEmptyPage))).toEqual(keysetToEmptyPage);
  });

  it("sends an answer check back with the paths it was given, and none when it is off", () => {
    const withCheck = snapshotOfConnection(
      makeConnectionDetail({
        config: makeConfig({ update: { ...makeConfig().update, answer_check: { error_path: "errors", message_path: "errors[0].message" } } }),
      }),
    );
    const draft = draftFromSnapshot(withCheck);
    expect(draft.update.answer_check).toEqual({ on: true, error_path: "errors", ok_path: "", message_path: "errors[0].message" });
    expect(snapshotOf(draft)).toEqual(withCheck);
    draft.update.answer_check.on = false;
    expect(snapshotOf(draft).config.update).not.toHaveProperty("answer_check");
  });

  it("sends a bulk answer's item list matched by index, or by position with neither path", () => {
    const withResults = (item_results: BulkItemResults) =>
      snapshotOfConnection(
        makeConnectionDetail({ config: makeConfig({ update: { ...makeConfig().update, bulk: { max_records: 10, records_key: "records", item_results } } }) }),
      );
    const byIndex = withResults({ path: "errors", index_path: "i" });
    const byPosition = withResults({ path: "items", status_path: "index.status" });
    expect(snapshotOf(draftFromSnapshot(byIndex))).toEqual(byIndex);
    expect(snapshotOf(draftFromSnapshot(byPosition))).toEqual(byPosition);
    expect(draftFromSnapshot(byPosition).update.bulk_item_results.match).toBe("position");
  });

  it("leaves empty optional fields out, so the API's defaults apply", () => {
    const draft = newConnectionDraft();
    draft.name = "  Nightly status  ";
    draft.schedule = "   ";
    draft.mapping = [ruleDraft({ source: "", destination: "status" })];

    const snapshot = snapshotOf(draft);

    expect(snapshot.name).toBe("Nightly status");
    expect(snapshot.schedule).toBeNull();
    expect(snapshot.config.mapping[0]).not.toHaveProperty("source");
    expect(snapshot.config.update).not.toHaveProperty("success_statuses");
    expect(snapshot.config.update).not.toHaveProperty("bulk");
  });

  it("keeps the statuses that fail one record: listed, none (an empty list), or absent for the defaults", () => {
    const withRefusals = (statuses: number[] | undefined) =>
      snapshotOfConnection(
        makeConnectionDetail({
          config: makeConfig({ update: { ...makeConfig().update, ...(statuses === undefined ? {} : { record_refusal_statuses: statuses }) } }),
        }),
      );
    for (const statuses of [[422, 409], [], undefined]) {
      const snapshot = withRefusals(statuses);
      expect(snapshotOf(draftFromSnapshot(snapshot))).toEqual(snapshot);
    }
    expect(draftFromSnapshot(withRefusals([])).update.record_refusal_statuses).toBe("none");
    expect(draftFromSnapshot(withRefusals(undefined)).update.record_refusal_statuses).toBe("");
    const typed = draftFromSnapshot(withRefusals(undefined));
    typed.update.record_refusal_statuses = " 404,  422 ";
    expect(snapshotOf(typed).config.update.record_refusal_statuses).toEqual([404, 422]);
  });

  it("keeps a source read in byte ranges, its range size shown in KiB", () => {
    const ranged = (chunk_bytes: number) =>
      snapshotOfConnection(
        makeConnectionDetail({
          config: makeConfig({
            source: {
              kind: "http",
              url: "https://bucket.example/devices.csv",
              headers: {},
              pagination: { style: "range", chunk_bytes },
              format: "csv",
              records_path: "",
              serial_path: "serial",
            },
          }),
        }),
      );
    for (const bytes of [4 * 1024 * 1024, 100_000]) {
      const snapshot = ranged(bytes);
      expect(snapshotOf(draftFromSnapshot(snapshot))).toEqual(snapshot);
    }
    const draft = draftFromSnapshot(ranged(4 * 1024 * 1024));
    expect(draft.source.pagination.chunk_kib).toBe("4096");
    draft.source.pagination.chunk_kib = "512";
    expect(snapshotOf(draft).config.source).toMatchObject({ pagination: { style: "range", chunk_bytes: 512 * 1024 } });
  });

  it("keeps a dataset's serial field, and leaves it out when empty", () => {
    const dataset = (serial_path?: string) =>
      snapshotOfConnection(
        makeConnectionDetail({ config: makeConfig({ source: serial_path === undefined ? { kind: "dataset" } : { kind: "dataset", serial_path } }) }),
      );
    for (const snapshot of [dataset('["Serial Number"]'), dataset()]) expect(snapshotOf(draftFromSnapshot(snapshot))).toEqual(snapshot);
    const draft = draftFromSnapshot(dataset());
    draft.source.dataset_serial_path = "  asset.sn ";
    expect(snapshotOf(draft).config.source).toEqual({ kind: "dataset", serial_path: "asset.sn" });
  });

  it("keeps If-Match from the ETag header or a record field, and leaves it out when off", () => {
    const withIfMatch = (if_match?: { from: "etag_header" } | { from: "record"; path: string }) =>
      snapshotOfConnection(
        makeConnectionDetail({ config: makeConfig({ update: { ...makeConfig().update, ...(if_match === undefined ? {} : { if_match }) } }) }),
      );
    for (const ifMatch of [{ from: "etag_header" as const }, { from: "record" as const, path: '["@odata.etag"]' }, undefined]) {
      const snapshot = withIfMatch(ifMatch);
      expect(snapshotOf(draftFromSnapshot(snapshot))).toEqual(snapshot);
    }
    const draft = draftFromSnapshot(withIfMatch({ from: "record", path: "_etag" }));
    expect(draft.update).toMatchObject({ if_match_from: "record", if_match_path: "_etag" });
    draft.update.if_match_from = "off";
    expect(snapshotOf(draft).config.update).not.toHaveProperty("if_match");
  });

  it("sends the idempotency key turned off as null, and the default header by leaving the field out", () => {
    const off = snapshotOfConnection(makeConnectionDetail({ config: makeConfig({ update: { ...makeConfig().update, idempotency_header: false } }) }));
    const draft = draftFromSnapshot(off);
    expect(draft.update.idempotency).toBe(false);
    expect(snapshotOf(draft).config.update.idempotency_header).toBeNull();

    draft.update.idempotency = true;
    expect(snapshotOf(draft).config.update).not.toHaveProperty("idempotency_header");
    draft.update.idempotency_header = " X-Request-Key ";
    expect(snapshotOf(draft).config.update.idempotency_header).toBe("X-Request-Key");
  });

  it("sends read-back verification only when it is on, with the sample percentage only for a sample", () => {
    const unset = draftFromSnapshot(snapshotOfConnection(makeConnectionDetail()));
    expect(unset.update.verify_writes).toBe("off");
    expect(snapshotOf(unset).config.update).not.toHaveProperty("verify_writes");

    const sampled = snapshotOfConnection(
      makeConnectionDetail({ config: makeConfig({ update: { ...makeConfig().update, verify_writes: "sample", verify_sample_percent: 25 } }) }),
    );
    const draft = draftFromSnapshot(sampled);
    expect(draft.update.verify_sample_percent).toBe("25");
    expect(snapshotOf(draft).config.update).toMatchObject({ verify_writes: "sample", verify_sample_percent: 25 });
    draft.update.verify_writes = "all";
    expect(snapshotOf(draft).config.update.verify_writes).toBe("all");
    expect(snapshotOf(draft).config.update).not.toHaveProperty("verify_sample_percent");
  });

  it("sends text typed into a number field as not-a-number, for the API to name", () => {
    const draft = newConnectionDraft();
    draft.limits.concurrency = "lots";

    expect(JSON.parse(JSON.stringify(snapshotOf(draft))).config.limits.concurrency).toBeNull();
  });

  it("reads an enum table as one pair per line, keeping the type of literals", () => {
    expect(parseMapTable('online = ACTIVE\n\noff = null\n1 = 1\nflag = true\nlabel = "42"')).toEqual({
      online: "ACTIVE",
      off: null,
      "1": 1,
      flag: true,
      label: "42",
    });
  });
});

describe("switching a contract's kind in the draft", () => {
  it("keeps the other kind's fields, so switching back loses nothing", () => {
    const draft = newConnectionDraft();
    draft.source.kind = "http";
    draft.source.url = "https://source.example.com/devices";
    draft.source.records_path = "items";

    draft.source.kind = "dataset";
    expect(snapshotOf(draft).config.source).toEqual({ kind: "dataset" });

    draft.source.kind = "http";
    expect(snapshotOf(draft).config.source).toMatchObject({
      kind: "http",
      url: "https://source.example.com/devices",
      records_path: "items",
      serial_path: "serial",
    });
  });
});
