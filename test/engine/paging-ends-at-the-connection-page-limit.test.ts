import { describe, expect, it } from "vitest";
import type { Pagination } from "../../worker/engine/contracts";
import { EngineError, hintFor } from "../../worker/engine/errors";
import type { HttpClient } from "../../worker/engine/http-client";
import { buildListingIndex, type ListFetchContract, type ListingPage } from "../../worker/engine/lookup";
import { DEFAULT_MAX_PAGES, nextLink } from "../../worker/engine/paged-reader";
import { createMemorySerialIndex } from "../../worker/engine/serial-index";
import { readSourcePages, type HttpSourceContract } from "../../worker/engine/source-reader";
import { makeClient } from "./factories";
import { caught, useLoopbackServers } from "./support/engine-fixtures";
import { makeDevice } from "./support/fleet";
import type { LoopbackHandler } from "./support/loopback-server";

const serve = useLoopbackServers();

// A destination whose every page is new (fresh records, a fresh cursor, a fresh link), so loop
// detection cannot end the read: only the page limit can.
const forever: LoopbackHandler = (request) => {
  const query = request.url.searchParams;
  const after = query.get("starting_after");
  const keyset = after === null ? null : (Number(after.slice(3)) - 1) / 2 + 1;
  const n = Number(query.get("page") ?? query.get("cursor") ?? query.get("p") ?? (query.has("offset") ? Number(query.get("offset")) / 2 + 1 : (keyset ?? 1)));
  const data = [makeDevice(2 * n), makeDevice(2 * n + 1)];
  switch (request.url.pathname) {
    case "/page":
    case "/offset":
      return { body: { data } };
    case "/keyset":
      return { body: { data, has_more: true } };
    case "/cursor":
      return { body: { data, next: String(n + 1) } };
    case "/link":
      return { headers: { link: `</link?p=${n + 1}>; rel="next"` }, body: { data } };
    default:
      return { body: { data, links: { next: `/next-url?p=${n + 1}` } } };
  }
};

const styles: Array<{ name: string; path: string; pagination: Pagination }> = [
  { name: "page numbers", path: "/page", pagination: { style: "page", page_param: "page", size_param: "per_page", page_size: 2, first_page: 1 } },
  { name: "offsets", path: "/offset", pagination: { style: "offset", offset_param: "offset", limit_param: "limit", page_size: 2, first_offset: 0 } },
  { name: "cursors", path: "/cursor", pagination: { style: "cursor", cursor_param: "cursor", next_cursor_path: "next" } },
  {
    name: "keys of the last record",
    path: "/keyset",
    pagination: { style: "keyset", after_param: "starting_after", key_path: "serial", has_more_path: "has_more" },
  },
  { name: "Link headers", path: "/link", pagination: { style: "link" } },
  { name: "next URLs in the body", path: "/next-url", pagination: { style: "link", next_url_path: "links.next" } },
];
const CURSORS = styles.find((style) => style.path === "/cursor")!.pagination;

function makeSource(url: string, pagination: Pagination): HttpSourceContract {
  return { kind: "http", url, headers: {}, pagination, format: "json", records_path: "data", serial_path: "serial" };
}

function makeList(url: string, pagination: Pagination): ListFetchContract {
  return { mode: "list", url, format: "json", pagination, records_path: "data", serial_path: "serial", headers: {} };
}

async function drain(pages: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of pages) count += 1;
  return count;
}

async function pageLimitError(pages: AsyncIterable<unknown>): Promise<{ error: EngineError; yielded: number }> {
  let yielded = 0;
  const error = await caught(
    (async () => {
      for await (const _ of pages) yielded += 1;
    })(),
  );
  expect(error).toBeInstanceOf(EngineError);
  return { error: error as EngineError, yielded };
}

describe("a source that pages forever with fresh pages", () => {
  it.each(styles)("stops at the page limit with too_many_pages ($name)", async ({ path, pagination }) => {
    const server = await serve(forever);
    const { client } = makeClient();

    const { error, yielded } = await pageLimitError(
      readSourcePages({ client, contract: makeSource(`${server.url}${path}`, pagination), start: {}, maxPages: 5 }),
    );

    expect(yielded).toBe(5);
    expect(server.requests).toHaveLength(5);
    expect(error).toMatchObject({ code: "too_many_pages", phase: "source", retryable: false });
    expect(error.message).toContain("5 pages");
    expect(error.hint).toBe(hintFor("too_many_pages", "source"));
    expect(error.hint).toMatch(/page limit/);
  });
});

describe("a destination listing that pages forever with fresh pages", () => {
  it.each(styles)("stops at the page limit with too_many_pages ($name)", async ({ path, pagination }) => {
    const server = await serve(forever);
    const { client } = makeClient();
    const index = createMemorySerialIndex();

    const { error, yielded } = await pageLimitError(buildListingIndex({ client, contract: makeList(`${server.url}${path}`, pagination), index, maxPages: 3 }));

    expect(yielded).toBe(3);
    expect(server.requests).toHaveLength(3);
    expect(error).toMatchObject({ code: "too_many_pages", phase: "listing" });
  });

  it("counts pages across a resume, so checkpoints cannot reset the limit", async () => {
    const server = await serve(forever);
    const { client } = makeClient();
    const index = createMemorySerialIndex();
    const contract = makeList(`${server.url}/cursor`, CURSORS);

    const first = buildListingIndex({ client, contract, index, maxPages: 3 });
    await first.next();
    const { value } = await first.next();
    await first.return(undefined);
    const { error, yielded } = await pageLimitError(buildListingIndex({ client, contract, index, maxPages: 3, resume: (value as ListingPage).nextState }));

    expect(yielded).toBe(1);
    expect(server.requests).toHaveLength(3);
    expect(error.code).toBe("too_many_pages");
  });

  it("reads a listing of exactly the limit without failing", async () => {
    const server = await serve((request) => {
      const n = Number(request.url.searchParams.get("cursor") ?? "1");
      return { body: { data: [makeDevice(n)], next: n < 4 ? String(n + 1) : null } };
    });
    const { client } = makeClient();
    const index = createMemorySerialIndex();

    const pages = buildListingIndex({ client, contract: makeList(`${server.url}/cursor`, CURSORS), index, maxPages: 4 });

    expect(await drain(pages)).toBe(4);
    expect(index.size).toBe(4);
  });
});

describe("without a configured limit", () => {
  it(`a read still ends, at ${DEFAULT_MAX_PAGES.toLocaleString("en")} pages`, { timeout: 60_000 }, async () => {
    let served = 0;
    // In memory rather than over loopback: the default is sized for large fleets.
    const client: HttpClient = {
      async request() {
        served += 1;
        return {
          status: 200,
          headers: new Headers(),
          text: `{"data":[{"serial":"S${served}"}],"next":"c${served}"}`,
          bytesSent: 0,
          bytesReceived: 0,
          attempts: 1,
          durationMs: 0,
        };
      },
    };

    const { error, yielded } = await pageLimitError(readSourcePages({ client, contract: makeSource("https://source.test/devices", CURSORS), start: {} }));

    expect(error.code).toBe("too_many_pages");
    expect(yielded).toBe(DEFAULT_MAX_PAGES);
    expect(served).toBe(DEFAULT_MAX_PAGES);
  });
});

describe("Link header parsing is linear", () => {
  // Each of these makes a backtracking pattern over the header do quadratic or worse work: 1 MB of it
  // would not finish. Completing at all is the assertion.
  const MB = 1_000_000;
  const hostile: Array<[string, string]> = [
    ["only opening brackets", "<".repeat(MB)],
    ["an unclosed target", `<${"a".repeat(MB)}`],
    ["parameters without end", `<https://a.test/2>${"; a=b".repeat(MB / 5)}`],
    ["unterminated quotes", `<https://a.test/2>${'; rel="'.repeat(MB / 7)}`],
    ["semicolons and spaces", `<https://a.test/2>${" ; ".repeat(MB / 3)}`],
    ["many links none next", `${'<https://a.test/1>; rel="prev", '.repeat(MB / 32)}`],
  ];

  it.each(hostile)("returns for %s", (_, header) => {
    expect(header.length).toBeGreaterThanOrEqual(MB * 0.9);
    expect(nextLink(header)).toBeNull();
  });

  it("still finds next after a megabyte of other links", () => {
    const header = `${'<https://a.test/1>; rel="prev"; title="a, b; c", '.repeat(20_000)}<https://a.test/3>; rel="next"`;
    expect(nextLink(header)).toBe("https://a.test/3");
  });

  it("reads quoted, unquoted and multi-type rel values, and ignores rel inside other parameters", () => {
    expect(nextLink('<https://a.test/?p=1>; rel="first", <https://a.test/?p=3>; rel="prev next"')).toBe("https://a.test/?p=3");
    expect(nextLink('<https://a.test/?p=2>; title="x, y"; rel=next')).toBe("https://a.test/?p=2");
    expect(nextLink('<https://a.test/?p=2>; REL = "NEXT"')).toBe("https://a.test/?p=2");
    expect(nextLink('<https://a.test/?p=4>; title="rel=next", <https://a.test/?p=5>; rel=next')).toBe("https://a.test/?p=5");
    expect(nextLink('<https://a.test/?p=9>; rel="last"')).toBeNull();
    expect(nextLink("")).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});
