import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { validateConnectionConfig } from "../../worker/engine/contracts";
import { readSourcePages, type HttpSourceContract, type SourcePage } from "../../worker/engine/source-reader";
import { makeClient, makeConfigInput } from "./factories";
import { caught, useLoopbackServers } from "./support/engine-fixtures";
import type { LoopbackHandler } from "./support/loopback-server";

const serve = useLoopbackServers();

const DEVICES = Array.from({ length: 30 }, (_, i) => ({ serial: `DEV-${String(i + 1).padStart(3, "0")}`, name: `Pump ${i + 1}`, site: "Zürich" }));
const ndjson = DEVICES.map((device) => JSON.stringify(device)).join("\n") + "\n";
const csv = ["serial,name,site", ...DEVICES.map((d) => `${d.serial},${d.name},${d.site}`)].join("\n") + "\n";

// An object store's GET of a .gz object: the file's own bytes, no Content-Encoding.
function gzipFile(text: string | Buffer, contentType = "binary/octet-stream"): LoopbackHandler {
  const bytes = typeof text === "string" ? gzipSync(Buffer.from(text, "utf8")) : text;
  return () => ({ status: 200, headers: { "content-type": contentType }, stream: (res) => res.end(bytes) });
}

function source(url: string, format: "ndjson" | "csv" | "json"): HttpSourceContract {
  return { kind: "http", url, headers: {}, pagination: { style: "none" }, format, records_path: format === "json" ? "devices" : "", serial_path: "serial" };
}

async function readAll(contract: HttpSourceContract, limits = {}): Promise<SourcePage[]> {
  const { client } = makeClient({ limits });
  const pages: SourcePage[] = [];
  for await (const page of readSourcePages({ client, contract, start: {} })) pages.push(page);
  return pages;
}

const expected = DEVICES.map((device) => ({ serial: device.serial, record: device }));

describe("a gzip export file", () => {
  it.each([
    { format: "ndjson" as const, body: ndjson },
    { format: "csv" as const, body: csv },
    { format: "json" as const, body: JSON.stringify({ devices: DEVICES }) },
  ])("$format at a path ending .gz is read decompressed", async ({ format, body }) => {
    const server = await serve(gzipFile(body));
    const pages = await readAll(source(`${server.url}/unload/devices_000.${format}.gz?X-Amz-Signature=abc`, format));
    expect(pages.flatMap((page) => page.records)).toEqual(expected);
  });

  it("is known by its application/gzip type at any path", async () => {
    const server = await serve(gzipFile(ndjson, "application/x-gzip"));
    expect((await readAll(source(`${server.url}/export?id=7`, "ndjson"))).flatMap((page) => page.records)).toEqual(expected);
  });

  it("fails once, not as a network error retried, when the file is not gzip after all", async () => {
    const server = await serve(() => ({ status: 200, body: ndjson }));
    const error = await caught(readAll(source(`${server.url}/devices.ndjson.gz`, "ndjson")));
    expect(error).toMatchObject({ code: "unparseable_response", message: expect.stringMatching(/returned a gzip file that could not be decompressed/) });
    expect(server.requests).toHaveLength(1);
  });

  it("retries a file whose connection was lost half way, as any network error, and then reads it whole", async () => {
    const bytes = gzipSync(Buffer.from(ndjson, "utf8"));
    const server = await serve(() =>
      server.requests.length === 1
        ? { status: 200, headers: { "content-length": String(bytes.length) }, stream: (res) => res.write(bytes.subarray(0, 40), () => res.destroy()) }
        : { status: 200, stream: (res) => res.end(bytes) },
    );
    const pages = await readAll(source(`${server.url}/devices.ndjson.gz`, "ndjson"));
    expect(pages.flatMap((page) => page.records)).toEqual(expected);
    expect(server.requests).toHaveLength(2);
  });

  it("counts the limit on what it decompresses to, so a small bomb stops at the limit", async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, "a"));
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    const server = await serve(gzipFile(bomb));
    const error = await caught(readAll(source(`${server.url}/devices.ndjson.gz`, "ndjson"), { max_response_bytes: 1024 * 1024 }));
    expect(error).toMatchObject({ code: "response_too_large" });
  });

  it("reads an error page at the same address as it came, so a 404 is still a 404", async () => {
    const server = await serve(() => ({ status: 404, headers: { "content-type": "application/xml" }, body: "<Error><Code>NoSuchKey</Code></Error>" }));
    const error = await caught(readAll(source(`${server.url}/devices.ndjson.gz`, "ndjson")));
    expect(error).toMatchObject({ code: "not_found", http_status: 404, message: expect.stringMatching(/NoSuchKey/) });
  });

  it("cannot be read in byte ranges, which count the compressed bytes", () => {
    const result = validateConnectionConfig(
      makeConfigInput({
        source: {
          kind: "http",
          url: "https://bucket.example/devices.csv.gz",
          format: "csv",
          records_path: "",
          serial_path: "serial",
          pagination: { style: "range" },
        },
      }),
    );
    expect(result).toEqual({
      ok: false,
      issues: [{ path: "source.pagination.style", message: expect.stringMatching(/a gzip file cannot be read in byte ranges/) }],
    });
  });
});
