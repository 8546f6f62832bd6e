import { describe, expect, it } from "vitest";
import { SourceContractSchema, validateConnectionConfig } from "../../worker/engine/contracts";
import { EngineError } from "../../worker/engine/errors";
import { firstRange, readRangeChunk } from "../../worker/engine/range-pages";
import { readSourcePages, type HttpSourceContract, type SourcePage } from "../../worker/engine/source-reader";
import { makeClient, makeConfigInput } from "./factories";
import { caught, useLoopbackServers } from "./support/engine-fixtures";
import type { LoopbackHandler } from "./support/loopback-server";

const serve = useLoopbackServers();

interface Device {
  serial: string;
  name: string;
  site: string;
}

// Names with characters of two, three and four UTF-8 bytes, so ranges cut inside characters too.
const DEVICES: Device[] = Array.from({ length: 40 }, (_, i) => ({
  serial: `DEV-${String(i + 1).padStart(3, "0")}`,
  name: ["Zürich pump", "東京 valve", "meter 🚀", "plain"][i % 4]!,
  site: i % 5 === 0 ? 'North, "Dock" 7\nBay 2' : `S${i}`,
}));

const ndjson = (devices: Device[]) => devices.map((device) => JSON.stringify(device)).join("\n") + "\n";
const csvField = (value: string) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
const csv = (devices: Device[]) => ["serial,name,site", ...devices.map((d) => [d.serial, d.name, d.site].map(csvField).join(","))].join("\r\n") + "\r\n";

interface StoreOptions {
  // Content-Range ends in /* (the size not known).
  sizeUnknown?: boolean;
  // A server that answers every request with the whole file.
  ignoresRange?: boolean;
}

// An object store's GET: the whole object, or one byte range of it with 206 and Content-Range.
function objectStore(content: string | Buffer, options: StoreOptions = {}): LoopbackHandler {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  return (request) => {
    const range = /^bytes=(\d+)-(\d+)$/.exec(String(request.headers.range ?? ""));
    if (range === null || options.ignoresRange === true) return { status: 200, stream: (res) => res.end(bytes) };
    const start = Number(range[1]);
    if (start >= bytes.length) return { status: 416, headers: { "content-range": `bytes */${bytes.length}` } };
    const end = Math.min(Number(range[2]), bytes.length - 1);
    return {
      status: 206,
      headers: { "content-range": `bytes ${start}-${end}/${options.sizeUnknown === true ? "*" : bytes.length}` },
      stream: (res) => res.end(bytes.subarray(start, end + 1)),
    };
  };
}

function rangeSource(url: string, format: "ndjson" | "csv", chunkBytes: number): HttpSourceContract {
  return { kind: "http", url, headers: {}, pagination: { style: "range", chunk_bytes: chunkBytes }, format, records_path: "", serial_path: "serial" };
}

async function readAll(contract: HttpSourceContract, start: Parameters<typeof readSourcePages>[0]["start"] = {}): Promise<SourcePage[]> {
  const { client } = makeClient();
  const pages: SourcePage[] = [];
  for await (const page of readSourcePages({ client, contract, start })) pages.push(page);
  return pages;
}

const asRecords = (devices: Device[]) => devices.map((device) => ({ serial: device.serial, record: device }));

describe("a large export read in byte ranges", () => {
  it.each([
    { format: "ndjson" as const, body: ndjson(DEVICES) },
    { format: "csv" as const, body: csv(DEVICES) },
  ])("$format: every record once and whole, each range starting where the last whole record ended", async ({ format, body }) => {
    const server = await serve(objectStore(body));
    const pages = await readAll(rangeSource(`${server.url}/exports/devices.${format}`, format, 97));

    expect(pages.flatMap((page) => page.records)).toEqual(asRecords(DEVICES));
    expect(pages.flatMap((page) => page.unreadable)).toEqual([]);
    const starts = server.requests.map((request) => Number(/^bytes=(\d+)-/.exec(String(request.headers.range))![1]));
    expect(starts[0]).toBe(0);
    // Each range begins right after a record's line break, in the file's own bytes.
    const bytes = Buffer.from(body, "utf8");
    for (const start of starts.slice(1)) expect(bytes[start - 1]).toBe(0x0a);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(server.requests.length).toBeGreaterThan(Buffer.byteLength(body) / 97);
  });

  it("ends on a short range or a 416 when the store does not say the size", async () => {
    const body = ndjson(DEVICES.slice(0, 10));
    const server = await serve(objectStore(body, { sizeUnknown: true }));
    const pages = await readAll(rangeSource(`${server.url}/devices.ndjson`, "ndjson", 128));
    expect(pages.flatMap((page) => page.records)).toEqual(asRecords(DEVICES.slice(0, 10)));
    expect(pages.at(-1)!.nextState).toBeNull();
  });

  it("reads a whole file sent to the first range's request, and refuses one sent again for a later range", async () => {
    const whole = await serve(objectStore(csv(DEVICES), { ignoresRange: true }));
    const pages = await readAll(rangeSource(`${whole.url}/devices.csv`, "csv", 97));
    expect(pages).toHaveLength(1);
    expect(pages[0]!.records).toEqual(asRecords(DEVICES));

    let first = true;
    const fickle = await serve((request) => {
      const reply = objectStore(ndjson(DEVICES), { ignoresRange: !first })(request);
      first = false;
      return reply;
    });
    const error = await caught(readAll(rangeSource(`${fickle.url}/devices.ndjson`, "ndjson", 97)));
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: "invalid_response_shape", message: expect.stringMatching(/does not serve byte ranges/) });
  });

  it("resumes from a checkpointed position without reading a record twice", async () => {
    const server = await serve(objectStore(csv(DEVICES)));
    const contract = rangeSource(`${server.url}/devices.csv`, "csv", 101);
    const { client } = makeClient();
    const read = readSourcePages({ client, contract, start: {} });
    const first = (await read.next()).value as SourcePage;
    await read.return(undefined);

    const rest = await readAll(contract, { resume: first.nextState! });
    expect([...first.records, ...rest.flatMap((page) => page.records)]).toEqual(asRecords(DEVICES));
  });

  it("refuses a range of a compressed file, whose bytes cannot be decoded from the middle", () => {
    const answer = { status: 206, headers: new Headers({ "content-range": "bytes 0-99/1000", "content-encoding": "gzip" }), text: "{}\n", bytesReceived: 100 };
    const spec = {
      format: "ndjson" as const,
      chunkBytes: 100,
      serialColumn: "serial",
      url: "https://bucket.example/devices.ndjson.gz",
      phase: "source" as const,
    };
    expect(() => readRangeChunk(answer, firstRange(), spec)).toThrow(/gzip-encoded: a compressed file cannot be read from the middle/);
    const plain = { ...answer, headers: new Headers({ "content-range": "bytes 0-99/1000" }), text: '{"serial":"A"}\n{"ser' };
    expect(readRangeChunk(plain, firstRange(), spec)).toMatchObject({ items: [{ serial: "A" }], next: { offset: 15, line: 2 } });
  });

  it("fails on a record longer than a range, naming the setting to raise", async () => {
    const long = [{ serial: "DEV-1", name: "x".repeat(300), site: "S" }];
    const server = await serve(objectStore(ndjson([...long, ...DEVICES])));
    const error = await caught(readAll(rangeSource(`${server.url}/devices.ndjson`, "ndjson", 128)));
    expect(error).toMatchObject({
      code: "response_too_large",
      message: expect.stringMatching(/record at byte 0 is longer than the 128 bytes/),
      hint: expect.stringMatching(/chunk_bytes/),
    });
  });

  it("refuses an export that is not UTF-8, whose ranges it could not count", async () => {
    const latin1 = Buffer.from(csv(DEVICES.map((device) => ({ ...device, name: "Zürich" }))), "latin1");
    const server = await serve(objectStore(latin1));
    const error = await caught(readAll(rangeSource(`${server.url}/devices.csv`, "csv", 97)));
    expect(error).toMatchObject({ code: "invalid_response_shape", message: expect.stringMatching(/not UTF-8/) });
  });

  it("is a source's paging for NDJSON and CSV only, never a listing's, and fits in the response size limit", () => {
    const parsed = SourceContractSchema.parse({ ...rangeSource("https://bucket.example/devices.csv", "csv", 0), pagination: { style: "range" } });
    expect(parsed).toMatchObject({ pagination: { style: "range", chunk_bytes: 4 * 1024 * 1024 } });
    const issues = (input: Record<string, unknown>) => {
      const result = validateConnectionConfig(makeConfigInput(input));
      return result.ok ? [] : result.issues;
    };
    const source = { kind: "http", url: "https://bucket.example/devices.json", records_path: "", serial_path: "serial", pagination: { style: "range" } };
    expect(issues({ source: { ...source, format: "csv" } })).toEqual([]);
    expect(issues({ source: { ...source, format: "json" } })).toEqual([{ path: "source.pagination.style", message: expect.stringMatching(/NDJSON or CSV/) }]);
    expect(issues({ fetch: { mode: "list", url: "https://dest.example/devices", serial_path: "serial", pagination: { style: "range" } } })).toEqual([
      { path: "fetch.pagination.style", message: expect.stringMatching(/a destination listing is JSON or XML/) },
    ]);
    expect(
      issues({
        source: { ...source, format: "ndjson", pagination: { style: "range", chunk_bytes: 8 * 1024 * 1024 } },
        limits: { max_response_bytes: 4 * 1024 * 1024 },
      }),
    ).toEqual([{ path: "source.pagination.chunk_bytes", message: expect.stringMatching(/more than the connection's max_response_bytes/) }]);
    expect(issues({ source: { ...source, format: "csv", pagination: { style: "range", chunk_bytes: 1000 } } })[0]).toMatchObject({
      path: "source.pagination.chunk_bytes",
    });
  });
});
