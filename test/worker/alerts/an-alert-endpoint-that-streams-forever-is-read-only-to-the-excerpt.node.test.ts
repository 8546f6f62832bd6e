/// <reference types="node" />
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { RESPONSE_EXCERPT_BYTES, sendHttp } from "../../../worker/alerts/send-http";

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = null;
});

async function receiver(respond: (res: ServerResponse) => void): Promise<{ url: string; closed: Promise<void> }> {
  let closed!: () => void;
  const done = new Promise<void>((resolve) => (closed = resolve));
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.once("close", closed);
      respond(res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/hook`, closed: done };
}

describe("an alert endpoint's response", () => {
  it("that never ends is read only to the excerpt, and the stream is closed", async () => {
    const { url, closed } = await receiver((res) => {
      res.writeHead(500, { "content-type": "text/plain" });
      const chunk = Buffer.alloc(16 * 1024, "x");
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });

    const result = await sendHttp({ url, headers: {}, body: "{}" }, { fetch, timeoutMs: 5_000 });

    expect(result.statusCode).toBe(500);
    expect(result.responseExcerpt).toBe("x".repeat(RESPONSE_EXCERPT_BYTES));
    await closed;
  });

  it("that decompresses to megabytes is cut at the excerpt as well", async () => {
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, "y"));
    const { url } = await receiver((res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-length": String(bomb.byteLength) });
      res.end(bomb);
    });

    const result = await sendHttp({ url, headers: {}, body: "{}" }, { fetch });

    expect(result).toMatchObject({ statusCode: 200, error: null, responseExcerpt: "y".repeat(RESPONSE_EXCERPT_BYTES) });
  });

  it("that drips a byte a second is ended by the timeout", async () => {
    const { url } = await receiver((res) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.write("<");
      const drip = setInterval(() => res.write("."), 1000);
      res.once("close", () => clearInterval(drip));
    });

    const result = await sendHttp({ url, headers: {}, body: "{}" }, { fetch, timeoutMs: 300 });

    expect(result).toMatchObject({ statusCode: 502, responseExcerpt: null, error: "The response body did not arrive within 300 ms." });
  });
});
