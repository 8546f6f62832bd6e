import { expect, it } from "vitest";
import { urlPieces } from "../../../web/src/lib/request-log";

// The Requests tab's URL column is narrow: a URL broken anywhere split serials in two ("DEV-" / "00001").
it("splits a URL after each slash and before its query parameters, losing nothing", () => {
  const cases: Array<[string, string, string[]]> = [
    ["http://localhost:8799/sandbox/api/devices/DEV-00001", "http://localhost:8799", ["/", "sandbox/", "api/", "devices/", "DEV-00001"]],
    ["https://api.example.com/v1/devices?per_page=500&cursor=a/b", "https://api.example.com", ["/", "v1/", "devices", "?per_page=500", "&cursor=a/", "b"]],
    ["https://fleet.example", "https://fleet.example", []],
    ["/relative/path", "", ["/", "relative/", "path"]],
  ];
  for (const [url, origin, pieces] of cases) {
    expect(urlPieces(url), url).toEqual({ origin, pieces });
    expect(origin + pieces.join("")).toBe(url);
  }
});
