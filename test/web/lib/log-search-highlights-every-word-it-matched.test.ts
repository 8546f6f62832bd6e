import { describe, expect, it } from "vitest";
import { highlightSegments, searchWords } from "../../../web/src/lib/highlight";

function marked(text: string, query: string): string {
  return highlightSegments(text, query)
    .map((segment) => (segment.match ? `[${segment.text}]` : segment.text))
    .join("");
}

describe("log search highlight", () => {
  it("marks each word of the search wherever it appears, ignoring case", () => {
    expect(marked("Stream Account: 4,218 records synced; account complete", "account synced")).toBe(
      "Stream [Account]: 4,218 records [synced]; [account] complete",
    );
  });

  it("merges overlapping and adjacent matches into one mark", () => {
    expect(marked("ERROR Response 401", "err error")).toBe("[ERROR] Response 401");
    expect(marked("ratelimit", "rate limit")).toBe("[ratelimit]");
  });

  it("keeps the text whole, marks nothing for an empty search, and treats regex characters literally", () => {
    expect(marked("Retrying after 30s backoff (x2)", "")).toBe("Retrying after 30s backoff (x2)");
    expect(marked("Retrying after 30s backoff (x2)", "(x2)")).toBe("Retrying after 30s backoff [(x2)]");
    expect(highlightSegments("", "a")).toEqual([{ text: "", match: false }]);
  });

  it("reads the words of a search the way the log API does: split on spaces, once each", () => {
    expect(searchWords("  WARN   rate  warn ")).toEqual(["warn", "rate"]);
  });
});
