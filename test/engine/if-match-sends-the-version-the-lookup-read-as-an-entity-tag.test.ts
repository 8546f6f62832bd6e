import { describe, expect, it } from "vitest";
import { compileIfMatch, ifMatchValue } from "../../worker/engine/if-match";

const fromRecord = (path: string) => compileIfMatch({ from: "record", path });
const fromHeader = compileIfMatch({ from: "etag_header" });

describe("the If-Match value of a write", () => {
  it("is the lookup's ETag header as it came, strong or weak", () => {
    expect(ifMatchValue(fromHeader, {}, '"v7"')).toEqual({ ok: true, value: '"v7"' });
    expect(ifMatchValue(fromHeader, {}, 'W/"abc"')).toEqual({ ok: true, value: 'W/"abc"' });
  });

  it("is a record field, quoted unless it already is an entity tag (Cosmos DB, OData, a version number)", () => {
    expect(ifMatchValue(fromRecord("_etag"), { _etag: '"0000d-0000"' }, null)).toEqual({ ok: true, value: '"0000d-0000"' });
    expect(ifMatchValue(fromRecord('["@odata.etag"]'), { "@odata.etag": 'W/"JzEtVGFzayc="' }, null)).toEqual({ ok: true, value: 'W/"JzEtVGFzayc="' });
    expect(ifMatchValue(fromRecord("meta.version"), { meta: { version: 12 } }, null)).toEqual({ ok: true, value: '"12"' });
    expect(ifMatchValue(fromRecord("rev"), { rev: " 3-abc " }, null)).toEqual({ ok: true, value: '"3-abc"' });
  });

  it("is refused when there is none, so no write goes out unconditioned", () => {
    expect(ifMatchValue(fromHeader, {}, null)).toMatchObject({ ok: false, error: expect.stringMatching(/no ETag header/) });
    expect(ifMatchValue(fromHeader, {}, "  ")).toMatchObject({ ok: false });
    for (const record of [{}, { _etag: null }, { _etag: "" }, { _etag: { nested: 1 } }]) {
      expect(ifMatchValue(fromRecord("_etag"), record, '"ignored"')).toMatchObject({ ok: false, error: expect.stringMatching(/no version at "_etag"/) });
    }
  });

  it("is refused when the version cannot be an entity tag: a quote inside, a space, a control character", () => {
    for (const version of ['a"b', "a b", "a\r\nX-Injected: 1", '"unclosed', "tab\there"]) {
      expect(ifMatchValue(fromRecord("v"), { v: version }, null)).toMatchObject({ ok: false, error: expect.stringMatching(/not an entity tag/) });
    }
  });
});
