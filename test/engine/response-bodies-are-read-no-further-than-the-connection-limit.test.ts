/// <reference types="node" />
import type { ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createCredentialHeaders } from "../../worker/engine/credential-auth";
import { EngineError, hintFor } from "../../worker/engine/errors";
import { readBody } from "../../worker/engine/read-body";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { runTestLookup } from "../../worker/engine/test-lookup";
import { makeClient, makeLimits } from "./factories";
import { caught, useLoopbackServers } from "./support/engine-fixtures";

const serve = useLoopbackServers();
const MiB = 1024 * 1024;

interface Stream {
  // Resolves when the client has gone away (it cancelled the body or closed the socket).
  closed: Promise<void>;
  written: () => number;
}

// Writes 64 KiB chunks for as long as the client keeps reading: a body without an end.
function endless(res: ServerResponse, stream: { written: number }): void {
  const chunk = Buffer.alloc(64 * 1024, "a");
  const pump = () => {
    while (!res.destroyed && res.write(chunk)) stream.written += chunk.byteLength;
    if (!res.destroyed) res.once("drain", pump);
  };
  pump();
}

function watch(res: ServerResponse, stream: { written: number }): Stream {
  return {
    closed: new Promise((resolve) => res.once("close", () => resolve())),
    written: () => stream.written,
  };
}

async function engineError(promise: Promise<unknown>): Promise<EngineError> {
  const error = await caught(promise);
  expect(error).toBeInstanceOf(EngineError);
  return error as EngineError;
}

describe("the http client reads a response body only up to the connection's limit", () => {
  it("stops an endless body at the limit, closes the stream and fails with response_too_large", async () => {
    let stream: Stream | null = null;
    const counter = { written: 0 };
    const server = await serve(() => ({
      headers: { "content-type": "application/json" },
      stream: (res) => {
        stream = watch(res, counter);
        endless(res, counter);
      },
    }));
    const { client, events } = makeClient({ limits: { max_response_bytes: MiB, retry_attempts: 2 } });

    const error = await engineError(client.request({ method: "GET", url: `${server.url}/devices`, phase: "listing" }));

    expect(error).toMatchObject({ code: "response_too_large", http_status: 200, phase: "listing", retryable: false });
    expect(error.message).toContain("more than 1 MiB");
    expect(error.hint).toBe(hintFor("response_too_large", "listing"));
    expect(error.hint).toMatch(/response size limit/);
    // Not retried: the same request would stream the same body again.
    expect(server.requests).toHaveLength(1);
    expect(events.filter((event) => event.type === "response")).toMatchObject([{ status: 200, bytes_received: MiB }]);
    // The client cancelled the stream: the server sees the connection go instead of writing forever.
    await stream!.closed;
    expect(stream!.written()).toBeLessThan(64 * MiB);
  });

  it("counts decompressed bytes, so a small gzip bomb is stopped at the limit too", async () => {
    const bomb = gzipSync(Buffer.alloc(24 * MiB));
    expect(bomb.byteLength).toBeLessThan(MiB);
    const server = await serve(() => ({
      headers: { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(bomb.byteLength) },
      stream: (res) => res.end(bomb),
    }));
    const { client } = makeClient({ limits: { max_response_bytes: 2 * MiB } });

    const error = await engineError(client.request({ method: "GET", url: `${server.url}/devices/A1`, phase: "lookup" }));

    expect(error).toMatchObject({ code: "response_too_large", phase: "lookup" });
    expect(error.message).toContain("more than 2 MiB");
  });

  it("reads a body of exactly the limit, and reports its byte count", async () => {
    const body = JSON.stringify({ pad: "x".repeat(1000) });
    const server = await serve(() => ({ body }));
    const { client, events } = makeClient({ limits: { max_response_bytes: body.length } });

    const response = await client.request({ method: "GET", url: `${server.url}/devices/A1` });

    expect(response.text).toBe(body);
    expect(response.bytesReceived).toBe(body.length);
    expect(events.filter((event) => event.type === "response")).toMatchObject([{ bytes_received: body.length }]);
  });

  it("applies a default limit when the connection names none", async () => {
    const counter = { written: 0 };
    const server = await serve(() => ({ stream: (res) => endless(res, counter) }));
    const { client } = makeClient({ limits: { retry_attempts: 0 } });

    const error = await engineError(client.request({ method: "GET", url: `${server.url}/devices` }));

    expect(error.code).toBe("response_too_large");
    expect(error.message).toContain("more than 10 MiB");
  });
});

describe("the request timeout covers the body, not only the headers", () => {
  it("ends a body that drips one byte a second", async () => {
    let stream: Stream | null = null;
    const counter = { written: 0 };
    const server = await serve(() => ({
      stream: (res) => {
        stream = watch(res, counter);
        res.write("[");
        const drip = setInterval(() => res.write(" "), 1000);
        res.once("close", () => clearInterval(drip));
      },
    }));
    const { client } = makeClient({ limits: { timeout_ms: 300, retry_attempts: 0 } });

    const error = await engineError(client.request({ method: "GET", url: `${server.url}/devices/A1`, phase: "lookup" }));

    expect(error).toMatchObject({ code: "timeout", phase: "lookup" });
    expect(error.message).toContain("timed out after 300 ms");
    await stream!.closed;
  });
});

describe("OAuth2 token responses", () => {
  it("are read through a limit: an endless token body fails the credential with response_too_large", async () => {
    const counter = { written: 0 };
    const server = await serve(() => ({ headers: { "content-type": "application/json" }, stream: (res) => endless(res, counter) }));
    const auth = createCredentialHeaders(
      { scheme: "oauth2_client_credentials", token_url: `${server.url}/token`, client_id: "c", client_secret: "s3cret", client_auth: "body" },
      { runtime: createSystemRuntime() },
    );

    const error = await engineError(auth.headers());

    expect(error.code).toBe("response_too_large");
    expect(error.hint).toMatch(/token endpoint/);
  });
});

describe("Test lookup", () => {
  it("of an endless body reports response_too_large with the first part of the body", async () => {
    const counter = { written: 0 };
    const server = await serve(() => ({ headers: { "content-type": "application/json" }, stream: (res) => endless(res, counter) }));
    const runtime = createSystemRuntime();

    const report = await runTestLookup({
      contract: { mode: "per_serial", url_template: `${server.url}/devices/{serial}`, format: "json", record_path: "", serial_path: "serial", headers: {} },
      serial: "A1",
      runtime,
      limits: makeLimits({ max_response_bytes: MiB, retry_attempts: 0 }),
      auth: createCredentialHeaders({ scheme: "none" }, { runtime }),
      maxBodyChars: 100,
    });

    expect(report).toMatchObject({ outcome: "error", error: { code: "response_too_large" }, raw_response: "a".repeat(100), raw_response_truncated: true });
  });
});

describe("readBody", () => {
  it("returns the text and byte count of a body within the limit", async () => {
    expect(await readBody(new Response("héllo"), { maxBytes: 6 })).toEqual({ text: "héllo", bytes: 6, truncated: false });
    expect(await readBody(new Response(null), { maxBytes: 6 })).toEqual({ text: "", bytes: 0, truncated: false });
  });

  it("throws response_too_large one byte over the limit", async () => {
    const error = await engineError(readBody(new Response("héllo!"), { maxBytes: 6, what: "GET https://a.test/x" }));
    expect(error.code).toBe("response_too_large");
    expect(error.message).toBe("GET https://a.test/x answered with more than 6 bytes");
  });

  it("in truncate mode keeps the first bytes without splitting a character, and cancels the rest", async () => {
    let pulls = 0;
    let canceled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls += 1;
        controller.enqueue(new TextEncoder().encode("éééé"));
      },
      cancel() {
        canceled = true;
      },
    });
    const read = await readBody(new Response(body), { maxBytes: 11, truncate: true });
    expect(read).toEqual({ text: "ééééé", bytes: 11, truncated: true });
    expect(canceled).toBe(true);
    expect(pulls).toBeLessThanOrEqual(3);
  });
});
