import { describe, expect, it } from "vitest";
import { BulkItemResultsSchema } from "../../worker/engine/contracts";
import { compileItemResults, readItemResults } from "../../worker/engine/bulk-item-results";

const SERIALS = ["A-1", "A-2", "A-3"];
const URL = "https://api.example.com/devices/bulk";

function read(spec: Record<string, string>, body: unknown, format: "json" | "xml" = "json") {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return readItemResults(compileItemResults(BulkItemResultsSchema.parse(spec)), format, text, SERIALS, URL);
}

const refusedOf = (verdict: ReturnType<typeof read>) => (verdict.ok ? Object.fromEntries(verdict.refused) : verdict);

describe("a bulk answer's item list", () => {
  it("marks refused the items whose status is outside 2xx, false, or an error word, matched by serial", () => {
    const verdict = read(
      { path: "results", serial_path: "id", status_path: "state", message_path: "why" },
      {
        results: [
          { id: "A-1", state: 201 },
          { id: "A-2", state: "failed", why: "locked" },
          { id: "A-3", state: "422", why: "bad site" },
        ],
      },
    );
    expect(refusedOf(verdict)).toEqual({ 1: { status: null, message: "locked" }, 2: { status: 422, message: "bad site" } });
    expect(
      refusedOf(
        read(
          { path: "r", serial_path: "id", status_path: "ok" },
          {
            r: [
              { id: "A-3", ok: false },
              { id: "A-1", ok: true },
            ],
          },
        ),
      ),
    ).toEqual({
      2: { status: null, message: '{"id":"A-3","ok":false}' },
    });
  });

  it("matches by position in the list when the items name neither serial nor index, as Elasticsearch's _bulk does", () => {
    const verdict = read(
      { path: "items", status_path: "index.status", message_path: "index.error.reason" },
      {
        items: [{ index: { status: 200 } }, { index: { status: 200 } }, { index: { status: 400, error: { reason: "mapper_parsing_exception" } } }],
      },
    );
    expect(refusedOf(verdict)).toEqual({ 2: { status: 400, message: "mapper_parsing_exception" } });
  });

  it("counts items that name no record of the request, and takes an empty body or a missing list as nothing refused", () => {
    const verdict = read({ path: "errors", serial_path: "serial" }, { errors: [{ serial: "B-9" }, { serial: "A-1" }] });
    expect(verdict).toEqual({ ok: true, refused: new Map([[0, { status: null, message: '{"serial":"A-1"}' }]]), unmatched: 1 });
    expect(read({ path: "errors", serial_path: "serial" }, "")).toEqual({ ok: true, refused: new Map(), unmatched: 0 });
    expect(read({ path: "errors", serial_path: "serial" }, { updated: 3 })).toEqual({ ok: true, refused: new Map(), unmatched: 0 });
  });

  it("reads one XML item, which parses as an element rather than a list", () => {
    const verdict = read(
      { path: "response.error", serial_path: "serial", message_path: "text" },
      "<response><error><serial>A-2</serial><text>unknown field colour</text></error></response>",
      "xml",
    );
    expect(refusedOf(verdict)).toEqual({ 1: { status: null, message: "unknown field colour" } });
  });

  it("says why when the answer cannot be read where the contract points", () => {
    expect(read({ path: "results", serial_path: "serial" }, "<html>")).toMatchObject({ ok: false, reason: expect.stringMatching(/not JSON/) });
    expect(read({ path: "results", serial_path: "serial" }, { results: "all good" })).toEqual({ ok: false, reason: 'the answer holds no list at "results"' });
  });

  it("refuses a contract that names both a serial path and an index path", () => {
    const parsed = BulkItemResultsSchema.safeParse({ path: "errors", serial_path: "serial", index_path: "index" });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((issue) => issue.path.join("."))).toEqual(["index_path"]);
  });
});
