import { afterEach, describe, expect, it } from "vitest";
import type { Schemas } from "../../cli/src/api-client";
import { EXIT } from "../../cli/src/exit-codes";
import { runCli } from "../../cli/src/run-cli";
import { startLoopbackServer, type LoopbackServer } from "../engine/support/loopback-server";
import { recordedIo } from "./factories";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function makeRequest(overrides: Partial<Schemas["RequestEntry"]> = {}): Schemas["RequestEntry"] {
  return {
    seq: 7,
    at: "2026-12-07T09:00:00.000Z",
    phase: "update",
    method: "PUT",
    url: "https://fleet.example.com/devices/DEV-1",
    request_headers: { "content-type": "application/json", authorization: "[redacted]" },
    request_body: '{"status":"active"}',
    status: 503,
    duration_ms: 41,
    attempt: 2,
    retry_reason: "server_error",
    concurrency: 4,
    error: "503 Service Unavailable",
    response_headers: { "retry-after": "2" },
    response_body: "busy\ntry later",
    serials: ["DEV-1", "DEV-2", "DEV-3"],
    truncated: false,
    bodies_hidden: false,
    ...overrides,
  };
}

async function cli(argv: string[]) {
  const io = recordedIo({ OUTBOUND_SYNC_URL: server!.url, OUTBOUND_SYNC_TOKEN: "osk_o_test" });
  return { code: await runCli(argv, io), io };
}

describe("jobs requests", () => {
  it("lists the job's requests with the filters given, one row each, and the next page's cursor", async () => {
    server = await startLoopbackServer(() => ({
      body: { data: [makeRequest(), makeRequest({ seq: 8, status: null, error: "timed out after 10000 ms", serials: [] })], next_cursor: "8" },
    }));
    const { code, io } = await cli(["jobs", "requests", "job_1", "--status", "5xx", "--phase", "update", "--serial", "DEV-1", "--limit", "2"]);
    expect(code).toBe(EXIT.ok);
    expect(server.requests[0]!.url.pathname).toBe("/api/jobs/job_1/requests");
    expect(Object.fromEntries(server.requests[0]!.url.searchParams)).toEqual({ status: "5xx", phase: "update", serial: "DEV-1", limit: "2" });
    const [header, first, second, more] = io.out.trimEnd().split("\n");
    expect(header).toMatch(/^SEQ\s+AT\s+PHASE\s+REQUEST\s+STATUS\s+MS\s+TRY\s+SERIALS\s+ERROR$/);
    expect(first).toMatch(
      /^\s*7\s+2026-12-07T09:00:00.000Z\s+update\s+PUT https:\/\/fleet.example.com\/devices\/DEV-1\s+503\s+41\s+2\s+DEV-1 \+2\s+503 Service Unavailable$/,
    );
    expect(second).toMatch(/\s+error\s+41\s+2\s+timed out after 10000 ms$/);
    expect(more).toBe("More: --cursor 8");
  });

  it("--seq shows one request as sent and answered, headers and bodies line by line, and says when bodies are hidden", async () => {
    server = await startLoopbackServer((request) =>
      request.url.pathname.endsWith("/7")
        ? { body: makeRequest() }
        : { body: makeRequest({ seq: 9, request_body: null, response_body: null, bodies_hidden: true, retry_reason: null }) },
    );
    const full = await cli(["jobs", "requests", "job_1", "--seq", "7"]);
    expect(full.code).toBe(EXIT.ok);
    expect(server.requests[0]!.url.pathname).toBe("/api/jobs/job_1/requests/7");
    expect(full.io.out).toBe(
      [
        "#7  2026-12-07T09:00:00.000Z  update, attempt 2 (after server error), 4 allowed in flight",
        "> PUT https://fleet.example.com/devices/DEV-1",
        "> content-type: application/json",
        "> authorization: [redacted]",
        ">",
        '> {"status":"active"}',
        "< 503 in 41 ms",
        "< retry-after: 2",
        "<",
        "< busy",
        "< try later",
        "Error: 503 Service Unavailable",
        "Serials: DEV-1, DEV-2, DEV-3",
        "",
      ].join("\n"),
    );

    const hidden = await cli(["jobs", "requests", "job_1", "--seq", "9"]);
    expect(hidden.io.out).toContain("#9  2026-12-07T09:00:00.000Z  update, attempt 2, 4 allowed in flight\n");
    expect(hidden.io.out).toMatch(/Bodies are shown to operators and admins only.\n$/);

    const wrong = await cli(["jobs", "requests", "job_1", "--seq", "zero"]);
    expect(wrong.code).toBe(EXIT.usage);
  });
});
