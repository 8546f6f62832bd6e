import { describe, expect, it } from "vitest";
import { JSON_BODY_LIMIT_BYTES } from "../../../worker/api/body-limit";
import { DATASET_UPLOAD_LIMITS } from "../../../worker/schemas/dataset-records";
import type { DatasetUploadResult } from "../../../worker/schemas/types";
import { call, type CallResult, createConnection, createCredential, errorOf, rowCount, unique } from "./config-api";

const MB = 1024 * 1024;
const encoder = new TextEncoder();

// A body the route would accept, padded with JSON whitespace past the limit: only its size is wrong.
function padded(value: unknown, bytes: number): string {
  const text = JSON.stringify(value);
  return text + " ".repeat(Math.max(0, bytes - text.length));
}

// Sent in 64 KiB chunks without a Content-Length, the way a chunked upload arrives.
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = encoder.encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 65_536));
      offset += 65_536;
    },
  });
}

function expectTooLarge(res: CallResult<unknown>, limit: number): void {
  expect(res.status).toBe(413);
  const error = errorOf(res);
  expect(error.code).toBe("payload_too_large");
  expect(error.message).toContain(`${limit / MB} MB`);
  expect(error.meta).toEqual({ max_bytes: limit });
}

describe("request body limits", () => {
  it("refuse an oversize JSON body with 413 naming the limit, and create nothing", async () => {
    const before = await rowCount("credentials");
    const body = padded({ name: unique("Credential"), scheme: "none" }, JSON_BODY_LIMIT_BYTES + 1);
    const res = await call("POST", "/api/credentials", { raw: body, headers: { "content-type": "application/json", "content-length": String(body.length) } });
    expectTooLarge(res, JSON_BODY_LIMIT_BYTES);
    expect(await rowCount("credentials")).toBe(before);
  });

  it("refuse an oversize chunked JSON body without Content-Length with 413, and create nothing", async () => {
    const before = await rowCount("credentials");
    const body = chunked(padded({ name: unique("Credential"), scheme: "none" }, 2 * JSON_BODY_LIMIT_BYTES));
    const res = await call("POST", "/api/credentials", { raw: body, headers: { "content-type": "application/json" } });
    expectTooLarge(res, JSON_BODY_LIMIT_BYTES);
    expect(await rowCount("credentials")).toBe(before);
  });

  it("still accept the same request under the limit, chunked or not", async () => {
    const body = padded({ name: unique("Credential"), scheme: "none" }, JSON_BODY_LIMIT_BYTES - 10);
    expect((await call("POST", "/api/credentials", { raw: body, headers: { "content-type": "application/json" } })).status).toBe(201);
    const streamed = chunked(padded({ name: unique("Credential"), scheme: "none" }, JSON_BODY_LIMIT_BYTES - 10));
    expect((await call("POST", "/api/credentials", { raw: streamed, headers: { "content-type": "application/json" } })).status).toBe(201);
  });

  it("refuse an oversize MCP message, with or without Content-Length", async () => {
    const message = padded({ jsonrpc: "2.0", id: 1, method: "tools/list" }, JSON_BODY_LIMIT_BYTES + 1);
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    expectTooLarge(
      await call("POST", "/mcp", { as: "viewer", raw: message, headers: { ...headers, "content-length": String(message.length) } }),
      JSON_BODY_LIMIT_BYTES,
    );
    expectTooLarge(await call("POST", "/mcp", { as: "viewer", raw: chunked(message), headers }), JSON_BODY_LIMIT_BYTES);
  });

  it("let dataset uploads use their own larger limit", async () => {
    expect(DATASET_UPLOAD_LIMITS.max_bytes).toBeGreaterThan(JSON_BODY_LIMIT_BYTES);
    const connection = await createConnection((await createCredential()).id);
    const lines = Array.from({ length: 12_000 }, (_, i) => `DEV-${String(i).padStart(6, "0")},${"x".repeat(100)}`);
    const csv = `serial,notes\n${lines.join("\n")}\n`;
    expect(csv.length).toBeGreaterThan(JSON_BODY_LIMIT_BYTES);
    const res = await call<DatasetUploadResult>("POST", `/api/connections/${connection.id}/records`, {
      raw: chunked(csv),
      headers: { "content-type": "text/csv" },
    });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    expect(res.body.received).toBe(12_000);
  });
});
