import { describe, expect, it } from "vitest";
import type { Pagination } from "../../worker/engine/contracts";
import { EngineError } from "../../worker/engine/errors";
import { nextLink } from "../../worker/engine/paged-reader";
import { readSourcePages, type HttpSourceContract, type SourcePage, type SourceReadState } from "../../worker/engine/source-reader";
import { makeClient } from "./factories";
import { caught, useLoopbackServers } from "./support/engine-fixtures";
import { fleetApi, makeDevice, makeFleet } from "./support/fleet";

const serve = useLoopbackServers();

function makeSource(url: string, overrides: Partial<HttpSourceContract> = {}): HttpSourceContract {
  return {
    kind: "http",
    url,
    headers: {},
    pagination: { style: "none" },
    format: "json",
    records_path: "data",
    serial_path: "serial",
    updated_at_path: "updated_at",
    since_param: "updated_since",
    ...overrides,
  };
}

async function readAll(pages: AsyncIterable<SourcePage>): Promise<SourcePage[]> {
  const all: SourcePage[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

const serialsOf = (pages: SourcePage[]) => pages.flatMap((page) => page.records.map((record) => record.serial));

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

describe("paginated source reads", () => {
  it("reads an unpaginated source in one request", async () => {
    const fleet = makeFleet(3);
    const server = await serve(fleetApi(fleet));
    const { client } = makeClient();

    const pages = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}/all`), start: {} }));

    expect(pages).toHaveLength(1);
    expect(pages[0]!.nextState).toBeNull();
    expect(pages[0]!.records).toEqual(fleet.map((device) => ({ serial: device.serial, record: device, updatedAt: device.updated_at })));
    expect(server.requests[0]!.headers.accept).toBe("application/json");
  });

  it.each(styles)("follows $name to the last page", async ({ path, pagination }) => {
    const fleet = makeFleet(5);
    const server = await serve(fleetApi(fleet, { pageSize: 2 }));
    const { client } = makeClient();

    const pages = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}${path}`, { pagination }), start: {} }));

    expect(serialsOf(pages)).toEqual(fleet.map((device) => device.serial));
    expect(pages.map((page) => page.records.length)).toEqual([2, 2, 1]);
    expect(pages.at(-1)!.nextState).toBeNull();
    expect(server.requests).toHaveLength(3);
  });

  it.each(styles)("resumes $name from a checkpoint without rereading a page", async ({ path, pagination }) => {
    const fleet = makeFleet(7);
    const server = await serve(fleetApi(fleet, { pageSize: 2 }));
    const { client } = makeClient();
    const contract = makeSource(`${server.url}${path}`, { pagination });
    const seen: string[] = [];

    // Each slice reads one page and checkpoints through JSON, as the coordinator's storage would.
    let checkpoint: string | null = null;
    let slices = 0;
    do {
      const start: { resume: SourceReadState } | object = checkpoint === null ? {} : { resume: JSON.parse(checkpoint) };
      const pages = readSourcePages({ client, contract, start });
      const { value } = await pages.next();
      await pages.return();
      const page = value as SourcePage;
      seen.push(...page.records.map((record) => record.serial));
      checkpoint = page.nextState === null ? null : JSON.stringify(page.nextState);
      slices += 1;
    } while (checkpoint !== null);

    expect(seen).toEqual(fleet.map((device) => device.serial));
    expect(slices).toBe(4);
    expect(server.requests).toHaveLength(4);
  });

  it("starts at the contract's first page number", async () => {
    const server = await serve(fleetApi(makeFleet(3), { pageSize: 2 }));
    const { client } = makeClient();
    const pagination: Pagination = { style: "page", page_param: "page", size_param: "per_page", page_size: 2, first_page: 2 };

    const pages = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}/page`, { pagination }), start: {} }));

    expect(server.requests[0]!.url.searchParams.get("page")).toBe("2");
    expect(serialsOf(pages)).toEqual(["SN-0003"]);
  });

  it("without a size parameter, reads on until an empty page", async () => {
    const fleet = makeFleet(5);
    const server = await serve(fleetApi(fleet, { pageSize: 2 }));
    const { client } = makeClient();
    const pagination: Pagination = { style: "page", page_param: "page", page_size: 100, first_page: 1 };

    const pages = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}/page`, { pagination }), start: {} }));

    expect(serialsOf(pages)).toHaveLength(5);
    expect(server.requests.map((request) => request.url.searchParams.get("page"))).toEqual(["1", "2", "3", "4"]);
    expect(server.requests[0]!.url.searchParams.has("per_page")).toBe(false);
  });

  it("moves the offset by the records a page held, so an endpoint serving fewer than the limit skips none", async () => {
    const fleet = makeFleet(7);
    const server = await serve(fleetApi(fleet, { pageSize: 2 }));
    const { client } = makeClient();
    // Asks for 5 a page; the endpoint serves 2 and says how many there are in X-Total-Count.
    const pagination: Pagination = { style: "offset", offset_param: "offset", limit_param: "limit", page_size: 5, first_offset: 0 };

    const pages = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}/offset`, { pagination }), start: {} }));

    expect(serialsOf(pages)).toEqual(fleet.map((device) => device.serial));
    expect(server.requests.map((request) => [request.url.searchParams.get("offset"), request.url.searchParams.get("limit")])).toEqual([
      ["0", "5"],
      ["2", "5"],
      ["4", "5"],
      ["6", "5"],
    ]);
  });

  it("ends an offset read at a short page when the endpoint gives no total, and reads on to an empty page without a limit", async () => {
    const fleet = makeFleet(5);
    const noTotal = fleetApi(fleet, { pageSize: 2 });
    const server = await serve((request) => ({ ...noTotal(request), headers: {} }));
    const { client } = makeClient();
    const withLimit: Pagination = { style: "offset", offset_param: "offset", limit_param: "limit", page_size: 2, first_offset: 0 };
    const withoutLimit: Pagination = { style: "offset", offset_param: "offset", page_size: 100, first_offset: 0 };

    const limited = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}/offset`, { pagination: withLimit }), start: {} }));
    expect(serialsOf(limited)).toHaveLength(5);
    expect(server.requests.map((request) => request.url.searchParams.get("offset"))).toEqual(["0", "2", "4"]);

    server.requests.length = 0;
    const unlimited = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}/offset`, { pagination: withoutLimit }), start: {} }));
    expect(serialsOf(unlimited)).toHaveLength(5);
    expect(server.requests.map((request) => request.url.searchParams.get("offset"))).toEqual(["0", "2", "4", "5"]);
    expect(server.requests[0]!.url.searchParams.has("limit")).toBe(false);
  });

  it("reads on past a total that undercounts, so no record is dropped", async () => {
    const fleet = makeFleet(5);
    const api = fleetApi(fleet, { pageSize: 2 });
    const server = await serve((request) => ({ ...api(request), headers: { "x-total-count": "2" } }));
    const { client } = makeClient();
    const pagination: Pagination = { style: "offset", offset_param: "offset", limit_param: "limit", page_size: 2, first_offset: 0 };

    const pages = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}/offset`, { pagination }), start: {} }));

    expect(serialsOf(pages)).toEqual(fleet.map((device) => device.serial));
  });

  it("asks for the page after the last record's key, and without a has-more flag reads on to an empty page", async () => {
    const fleet = makeFleet(4);
    const server = await serve(fleetApi(fleet, { pageSize: 2 }));
    const { client } = makeClient();
    const pagination: Pagination = { style: "keyset", after_param: "starting_after", key_path: "serial" };

    const pages = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}/keyset`, { pagination }), start: {} }));

    expect(serialsOf(pages)).toEqual(fleet.map((device) => device.serial));
    expect(server.requests.map((request) => request.url.searchParams.get("starting_after"))).toEqual([null, "SN-0002", "SN-0004"]);
  });

  it("fails with the path when a page's last record has no key to ask for the next page with", async () => {
    const server = await serve(() => ({ body: { data: [makeDevice(1), { name: "no serial" }], has_more: true } }));
    const { client } = makeClient();
    const pagination: Pagination = { style: "keyset", after_param: "after", key_path: "id", has_more_path: "has_more" };

    const error = await caught(readAll(readSourcePages({ client, contract: makeSource(`${server.url}/x`, { pagination }), start: {} })));

    expect(error).toMatchObject({ code: "invalid_response_shape", phase: "source" });
    expect((error as EngineError).message).toContain('no key at "id"');
  });

  it("starts at the contract's first offset, under the parameter names it gives", async () => {
    const api = fleetApi(makeFleet(3), { pageSize: 2 });
    // An API that calls them start and count.
    const server = await serve((request) => {
      const url = new URL(request.url);
      url.pathname = "/offset";
      url.search = `?offset=${url.searchParams.get("start")}&limit=${url.searchParams.get("count")}`;
      return api({ ...request, url });
    });
    const { client } = makeClient();
    const pagination: Pagination = { style: "offset", offset_param: "start", limit_param: "count", page_size: 2, first_offset: 2 };

    const pages = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}/devices`, { pagination }), start: {} }));

    expect(serialsOf(pages)).toEqual(["SN-0003"]);
    expect(server.requests.map((request) => request.url.search)).toEqual(["?start=2&count=2"]);
  });

  it("fails instead of looping when the endpoint ignores the page parameter", async () => {
    const server = await serve(() => ({ body: { data: makeFleet(2) } }));
    const { client } = makeClient();
    const pagination: Pagination = { style: "page", page_param: "page", page_size: 100, first_page: 1 };

    const error = await caught(readAll(readSourcePages({ client, contract: makeSource(`${server.url}/x`, { pagination }), start: {} })));

    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: "pagination_loop", phase: "source" });
    expect(server.requests).toHaveLength(2);
  });

  it("refuses a next link to another origin", async () => {
    const server = await serve(() => ({ body: { data: [makeDevice(1)], next: "http://localhost:1/steal" } }));
    const { client } = makeClient();
    const contract = makeSource(`${server.url}/x`, { pagination: { style: "link", next_url_path: "next" } });

    const error = await caught(readAll(readSourcePages({ client, contract, start: {} })));

    expect(error).toMatchObject({ code: "invalid_response_shape" });
    expect((error as Error).message).toContain("outside the contract");
  });
});

describe("incremental source reads", () => {
  it.each(styles)("asks every $name page only for records changed since the cursor", async ({ path, pagination }) => {
    const fleet = makeFleet(9);
    const since = fleet[3]!.updated_at;
    const server = await serve(fleetApi(fleet, { pageSize: 2 }));
    const { client } = makeClient();

    const pages = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}${path}`, { pagination }), start: { since } }));

    expect(serialsOf(pages)).toEqual(fleet.slice(4).map((device) => device.serial));
    for (const request of server.requests) expect(request.url.searchParams.get("updated_since")).toBe(since);
  });

  it("keeps the since window when resumed", async () => {
    const fleet = makeFleet(6);
    const since = fleet[1]!.updated_at;
    const server = await serve(fleetApi(fleet, { pageSize: 2 }));
    const { client } = makeClient();
    const contract = makeSource(`${server.url}/cursor`, { pagination: CURSORS });

    const first = readSourcePages({ client, contract, start: { since } });
    const { value } = await first.next();
    await first.return();
    const resumed = await readAll(readSourcePages({ client, contract, start: { resume: (value as SourcePage).nextState! } }));

    expect(serialsOf(resumed)).toEqual(["SN-0005", "SN-0006"]);
    expect(server.requests.at(-1)!.url.searchParams.get("updated_since")).toBe(since);
  });

  it("reads everything when the source has no since parameter", async () => {
    const server = await serve(fleetApi(makeFleet(3)));
    const { client } = makeClient();
    const contract = makeSource(`${server.url}/all`, { since_param: undefined });

    const pages = await readAll(readSourcePages({ client, contract, start: { since: "2026-11-20T10:01:00Z" } }));

    expect(serialsOf(pages)).toHaveLength(3);
    expect(server.requests[0]!.url.search).toBe("");
  });
});

describe("source records that cannot be read", () => {
  it("reports records without a readable serial instead of dropping them", async () => {
    const records = [makeDevice(1), { name: "no serial" }, makeDevice(3, { serial: "  " }), "just text", makeDevice(5)];
    const server = await serve(() => ({ body: { data: records } }));
    const { client } = makeClient();

    const [page] = await readAll(readSourcePages({ client, contract: makeSource(`${server.url}/x`), start: {} }));

    expect(page!.records.map((record) => record.serial)).toEqual(["SN-0001", "SN-0005"]);
    expect(page!.unreadable).toMatchObject([
      { index: 1, reason: 'no serial at "serial"', excerpt: '{"name":"no serial"}' },
      { index: 2, reason: 'no serial at "serial"' },
      { index: 3, reason: "record is a string, not an object" },
    ]);
  });

  it("reads an XML source as it reads an XML listing: each element a record of its children's text", async () => {
    const fleet = makeFleet(3);
    const server = await serve(fleetApi(fleet, { format: "xml" }));
    const { client } = makeClient();
    const contract = makeSource(`${server.url}/all`, { format: "xml", records_path: "devices.device", updated_at_path: undefined, since_param: undefined });

    const [page] = await readAll(readSourcePages({ client, contract, start: {} }));

    expect(page!.records).toEqual(fleet.map(({ serial, name }) => ({ serial, record: { serial, name } })));
    expect(server.requests[0]!.headers.accept).toBe("application/xml, text/xml;q=0.9");
  });

  it("fails with a source hint when the body is not JSON", async () => {
    const server = await serve(() => ({ headers: { "content-type": "text/html" }, body: "<html>login</html>" }));
    const { client } = makeClient();

    const error = await caught(readAll(readSourcePages({ client, contract: makeSource(`${server.url}/x`), start: {} })));

    expect(error).toMatchObject({
      code: "unparseable_response",
      retryable: false,
      hint: "Confirm the source endpoint returns the format its contract names (JSON, XML, NDJSON or CSV)",
    });
  });

  it("fails when the records path does not hold a list", async () => {
    const server = await serve(() => ({ body: { data: { serial: "SN-1" } } }));
    const { client } = makeClient();

    const error = await caught(readAll(readSourcePages({ client, contract: makeSource(`${server.url}/x`), start: {} })));

    expect(error).toMatchObject({ code: "invalid_response_shape" });
    expect(error).toHaveProperty("hint", expect.stringContaining("records path"));
  });
});

describe("Link header parsing", () => {
  it("finds rel=next among several links and relation types", () => {
    expect(nextLink('<https://a.test/?p=1>; rel="first", <https://a.test/?p=3>; rel="prev next"')).toBe("https://a.test/?p=3");
    expect(nextLink('<https://a.test/?p=2>; title="x, y"; rel=next')).toBe("https://a.test/?p=2");
    expect(nextLink('<https://a.test/?p=9>; rel="last"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});
