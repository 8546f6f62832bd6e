import { describe, expect, it } from "vitest";
import { SourceContractSchema, type Pagination } from "../../worker/engine/contracts";
import { EngineError } from "../../worker/engine/errors";
import { readSourcePages, type HttpSourceContract, type SourcePage } from "../../worker/engine/source-reader";
import { makeClient } from "./factories";
import { caught, useLoopbackServers } from "./support/engine-fixtures";
import { devicesCsv, fleetApi, makeDevice, makeFleet } from "./support/fleet";

const serve = useLoopbackServers();

type ExportFormat = "ndjson" | "csv";

function makeSource(url: string, format: ExportFormat, overrides: Partial<HttpSourceContract> = {}): HttpSourceContract {
  return {
    kind: "http",
    url,
    headers: {},
    pagination: { style: "none" },
    format,
    records_path: "",
    serial_path: "serial",
    updated_at_path: "updated_at",
    ...overrides,
  };
}

async function readAll(contract: HttpSourceContract): Promise<SourcePage[]> {
  const { client } = makeClient();
  const pages: SourcePage[] = [];
  for await (const page of readSourcePages({ client, contract, start: {} })) pages.push(page);
  return pages;
}

const styles: Array<{ name: string; path: string; pagination: Pagination }> = [
  { name: "page numbers", path: "/page", pagination: { style: "page", page_param: "page", size_param: "per_page", page_size: 2, first_page: 1 } },
  { name: "offsets", path: "/offset", pagination: { style: "offset", offset_param: "offset", limit_param: "limit", page_size: 2, first_offset: 0 } },
  { name: "keys of the last record", path: "/keyset", pagination: { style: "keyset", after_param: "starting_after", key_path: "serial" } },
  { name: "Link headers", path: "/link", pagination: { style: "link" } },
];
const formats: ExportFormat[] = ["ndjson", "csv"];
const cases = formats.flatMap((format) => styles.map((style) => ({ format, ...style })));

describe("a source export read as NDJSON or CSV", () => {
  it.each(cases)("$format: follows $name to the last page, every record with its serial and updated-at", async ({ format, path, pagination }) => {
    const fleet = makeFleet(5);
    const server = await serve(fleetApi(fleet, { pageSize: 2, format }));

    const pages = await readAll(makeSource(`${server.url}${path}`, format, { pagination }));

    expect(pages.flatMap((page) => page.records)).toEqual(fleet.map((device) => ({ serial: device.serial, record: device, updatedAt: device.updated_at })));
    expect(pages.flatMap((page) => page.unreadable)).toEqual([]);
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
  });

  it.each([
    { format: "ndjson" as const, accept: "application/x-ndjson, application/jsonl;q=0.9" },
    { format: "csv" as const, accept: "text/csv" },
  ])("asks for $format by its media type", async ({ format, accept }) => {
    const server = await serve(fleetApi(makeFleet(1), { format }));
    await readAll(makeSource(`${server.url}/all`, format));
    expect(server.requests[0]!.headers.accept).toBe(accept);
  });

  it("reads CSV fields as the header names them: quoted commas, quotes and line breaks, a BOM, an empty field as null", async () => {
    const body = '\uFEFFserial,name,site\r\nSN-1,"Pump, north","a ""big"" one\nsecond line"\r\nSN-2,,""\r\n';
    const server = await serve(() => ({ headers: { "content-type": "text/csv" }, body }));

    const [page] = await readAll(makeSource(`${server.url}/all`, "csv", { updated_at_path: undefined }));

    expect(page!.records).toEqual([
      { serial: "SN-1", record: { serial: "SN-1", name: "Pump, north", site: 'a "big" one\nsecond line' } },
      { serial: "SN-2", record: { serial: "SN-2", name: null, site: "" } },
    ]);
  });

  it('finds the serial under a header that needs quoting in a path, such as "Serial Number"', async () => {
    const server = await serve(() => ({ body: "Serial Number,Last Seen (UTC)\r\nSN-1,2026-11-20T10:00:00Z\r\n" }));

    const [page] = await readAll(makeSource(`${server.url}/all`, "csv", { serial_path: '["Serial Number"]', updated_at_path: '["Last Seen (UTC)"]' }));

    expect(page!.records).toEqual([
      { serial: "SN-1", record: { "Serial Number": "SN-1", "Last Seen (UTC)": "2026-11-20T10:00:00Z" }, updatedAt: "2026-11-20T10:00:00Z" },
    ]);
  });

  it("skips a line that is no record, naming its line, and still counts it as served so an offset read moves past it", async () => {
    const pages: Record<string, string> = {
      "0": `${JSON.stringify(makeDevice(1))}\nnot json\n`,
      "2": `[1,2]\n${JSON.stringify(makeDevice(4))}\n`,
      "4": "",
    };
    const server = await serve((request) => ({ body: pages[request.url.searchParams.get("offset") ?? ""] ?? "" }));

    const read = await readAll(
      makeSource(`${server.url}/offset`, "ndjson", {
        pagination: { style: "offset", offset_param: "offset", limit_param: "limit", page_size: 2, first_offset: 0 },
      }),
    );

    expect(read.flatMap((page) => page.records.map((r) => r.serial))).toEqual(["SN-0001", "SN-0004"]);
    expect(read.flatMap((page) => page.unreadable.map((u) => u.reason))).toEqual([
      expect.stringMatching(/^line 2 is not JSON \(.+\)$/),
      "line 1 is a list, not an object",
    ]);
    expect(server.requests.map((r) => r.url.searchParams.get("offset"))).toEqual(["0", "2", "4"]);
  });

  it("skips a CSV row with more or fewer fields than the header, naming its line", async () => {
    const body = `${devicesCsv([makeDevice(1)])}SN-9,only two\r\n${devicesCsv([makeDevice(3)]).split("\r\n")[1]}\r\n`;
    const server = await serve(() => ({ body }));

    const [page] = await readAll(makeSource(`${server.url}/all`, "csv"));

    expect(page!.records.map((r) => r.serial)).toEqual(["SN-0001", "SN-0003"]);
    expect(page!.unreadable).toEqual([{ index: 1, reason: "line 3 has 2 fields where the header names 3", excerpt: "SN-9,only two" }]);
  });

  it("ends the read at an empty body, header or not", async () => {
    for (const last of ["", "serial,name,updated_at\r\n"]) {
      const server = await serve((request) => ({ body: request.url.searchParams.get("page") === "1" ? devicesCsv(makeFleet(2)) : last }));
      const pages = await readAll(
        makeSource(`${server.url}/page`, "csv", { pagination: { style: "page", page_param: "page", page_size: 100, first_page: 1 } }),
      );
      expect(pages.map((page) => page.records.length)).toEqual([2, 0]);
      expect(pages.at(-1)!.nextState).toBeNull();
    }
  });

  it.each([
    {
      body: "name,updated_at\r\nPump,2026-11-20T10:00:00Z\r\n",
      message: 'the CSV header has no "serial" column for the serial (it has "name", "updated_at")',
      code: "invalid_response_shape",
    },
    { body: "serial,serial\r\nA,B\r\n", message: 'the CSV header names "serial" twice', code: "invalid_response_shape" },
    { body: 'serial,name\r\nA,"open\r\n', message: "returned a body that is not CSV (line 2: a quoted field is never closed)", code: "unparseable_response" },
  ])("fails the page when the CSV cannot be read as records: $message", async ({ body, message, code }) => {
    const server = await serve(() => ({ body }));
    const error = await caught(readAll(makeSource(`${server.url}/all`, "csv", { updated_at_path: undefined })));
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code, phase: "source" });
    expect((error as EngineError).message).toContain(message);
  });
});

describe("a source contract for an export", () => {
  const base = { kind: "http", url: "https://source.example.com/devices.csv", serial_path: "serial" } as const;
  const problems = (source: Record<string, unknown>) => {
    const parsed = SourceContractSchema.safeParse(source);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("accepts NDJSON and CSV with the paging they can carry", () => {
    for (const format of formats) {
      for (const { pagination } of styles) expect(problems({ ...base, format, pagination })).toEqual([]);
    }
  });

  it("refuses what an NDJSON or CSV body cannot hold, at the field", () => {
    expect(problems({ ...base, format: "csv", records_path: "data" })).toEqual([
      "records_path: a CSV body is the record list itself: leave records_path empty",
    ]);
    expect(problems({ ...base, format: "ndjson", pagination: { style: "cursor", next_cursor_path: "next" } })).toEqual([
      "pagination.style: an NDJSON body has no next cursor to read: page by page number, offset, the last record's key or the Link header",
    ]);
    expect(problems({ ...base, format: "csv", pagination: { style: "link", next_url_path: "links.next" } })).toEqual([
      "pagination.next_url_path: a CSV body has no next link to read: leave it empty to follow the Link header",
    ]);
    expect(problems({ ...base, format: "ndjson", pagination: { style: "keyset", key_path: "serial", has_more_path: "has_more" } })).toEqual([
      "pagination.has_more_path: an NDJSON body has no has-more flag to read: leave it empty, so an empty page ends the read",
    ]);
  });

  it("refuses a nested path into a CSV row, which is flat, and allows it in NDJSON", () => {
    expect(problems({ ...base, format: "csv", serial_path: "device.serial", updated_at_path: "meta.updated" })).toEqual([
      'serial_path: a CSV record is flat: name its column ("device.serial" is not one column name)',
      'updated_at_path: a CSV record is flat: name its column ("meta.updated" is not one column name)',
    ]);
    expect(problems({ ...base, format: "ndjson", serial_path: "device.serial" })).toEqual([]);
    expect(problems({ ...base, format: "csv", serial_path: '["Serial Number"]' })).toEqual([]);
  });
});
