import { afterEach, describe, expect, it } from "vitest";
import { EXIT } from "../../cli/src/exit-codes";
import { RECORD_ACTIONS } from "../../cli/src/words";
import { runCli } from "../../cli/src/run-cli";
import { startLoopbackServer, type LoopbackServer } from "../engine/support/loopback-server";
import { makeConnection, recordedIo } from "./factories";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const paused = makeConnection({
  id: "conn_2",
  name: "Fleet listing",
  position: 2,
  dry_run: true,
  schedule: null,
  freshness: null,
  paused: { at: "2026-12-06T06:00:00.000Z", reason: "Failed 10 runs in a row; last error: 503 Service Unavailable" },
  alerts_muted_until: "2026-12-08T00:00:00.000Z",
});

async function cli(argv: string[]) {
  const io = recordedIo({ OUTBOUND_SYNC_URL: server!.url, OUTBOUND_SYNC_TOKEN: "osk_o_test" });
  return { code: await runCli(argv, io), io };
}

describe("connections list", () => {
  it("walks every page in execution order and prints the ids runs start takes, freshness and state", async () => {
    server = await startLoopbackServer((request) =>
      request.url.searchParams.get("cursor") === null
        ? { body: { data: [makeConnection()], next_cursor: "page2" } }
        : { body: { data: [paused], next_cursor: null } },
    );
    const { code, io } = await cli(["connections", "list", "--credential", "cred_1"]);
    expect(code).toBe(EXIT.ok);
    expect(server.requests.map((request) => request.url.search)).toEqual(["?limit=500&credential_id=cred_1", "?limit=500&cursor=page2&credential_id=cred_1"]);
    const [header, first, second] = io.out.trimEnd().split("\n");
    expect(header).toMatch(/^CONNECTION\s+NAME\s+CREDENTIAL\s+#\s+MODE\s+SCHEDULE \(UTC\)\s+FRESHNESS\s+STATE$/);
    expect(first).toMatch(/^conn_1\s+Device status\s+Fleet API \(cred_1\)\s+1\s+Live\s+0 \* \* \* \*\s+On time\s+Enabled$/);
    expect(second).toMatch(
      /^conn_2\s+Fleet listing\s+Fleet API \(cred_1\)\s+2\s+Dry run\s+Enabled, Paused since 2026-12-06T06:00:00.000Z: Failed 10 runs in a row; last error: 503 Service Unavailable, alerts muted until 2026-12-08T00:00:00.000Z$/,
    );
  });

  it("prints the whole list as JSON, and says when there is none", async () => {
    server = await startLoopbackServer(() => ({ body: { data: [paused], next_cursor: null } }));
    const json = await cli(["connections", "list", "--json"]);
    expect(JSON.parse(json.io.out)).toEqual([paused]);
    await server.close();

    server = await startLoopbackServer(() => ({ body: { data: [], next_cursor: null } }));
    expect((await cli(["connections", "list"])).io.out).toBe("No connections.\n");
  });
});

describe("connections resume", () => {
  it("posts the resume and prints the connection's state after it; the API's refusal exits 1", async () => {
    server = await startLoopbackServer((request) =>
      request.url.pathname.endsWith("/conn_2/resume")
        ? { body: { ...paused, paused: null, alerts_muted_until: null } }
        : { status: 404, body: { error: { code: "not_found", message: "No connection conn_9", details: [] } } },
    );
    const resumed = await cli(["connections", "resume", "conn_2"]);
    expect(resumed.code).toBe(EXIT.ok);
    expect(server.requests[0]).toMatchObject({ method: "POST", headers: expect.objectContaining({ authorization: "Bearer osk_o_test" }) });
    expect(resumed.io.out).toBe('Connection "Fleet listing" (conn_2): Enabled.\n');

    const missing = await cli(["connections", "resume", "conn_9"]);
    expect(missing.code).toBe(EXIT.error);
    expect(missing.io.err).toMatch(/^Error: No connection conn_9 \(HTTP 404, not_found\)/);
  });
});

describe("connections serials", () => {
  const none = Object.fromEntries(RECORD_ACTIONS.map((action) => [action, 0]));
  const row = { serial: "DEV-00007", action: "failed", since: "2026-12-07T10:00:00.000Z", job_id: "job_1", run_id: "run_1", mode: "live", job_kept: true };

  it("asks for one outcome and a prefix, prints the counts, each serial's latest outcome and the next cursor", async () => {
    server = await startLoopbackServer(() => ({
      body: {
        data: [row, { ...row, serial: "DEV-00008", action: "would_update", mode: "dry", job_id: "job_old", job_kept: false }],
        next_cursor: "next1",
        counts: { ...none, failed: 1, would_update: 1, skipped_no_change: 10_001 },
        count_cap: 10_000,
      },
    }));
    const { code, io } = await cli(["connections", "serials", "conn_1", "--action", "failed", "--serial", "DEV-0", "--limit", "2"]);
    expect(code).toBe(EXIT.ok);
    expect(server.requests[0]!.url.pathname).toBe("/api/connections/conn_1/serials");
    expect(Object.fromEntries(server.requests[0]!.url.searchParams)).toEqual({ action: "failed", serial: "DEV-0", limit: "2" });
    const lines = io.out.trimEnd().split("\n");
    expect(lines[0]).toBe("Failed 1, Would Update 1, Skipped (no change) 10000+");
    expect(lines[1]).toMatch(/^SERIAL\s+LATEST OUTCOME\s+SINCE\s+JOB$/);
    expect(lines[2]).toMatch(/^DEV-00007\s+Failed\s+2026-12-07T10:00:00.000Z\s+job_1$/);
    expect(lines[3]).toMatch(/^DEV-00008\s+Would Update \(dry run\)\s+2026-12-07T10:00:00.000Z\s+job_old \(deleted by retention\)$/);
    expect(lines[4]).toBe("More: --cursor next1");
  });

  it("refuses an outcome the API does not know before asking it, and says when no serial matches", async () => {
    server = await startLoopbackServer(() => ({ body: { data: [], next_cursor: null, counts: null, count_cap: 10_000 } }));
    const wrong = await cli(["connections", "serials", "conn_1", "--action", "broken"]);
    expect(wrong.code).toBe(EXIT.usage);
    expect(wrong.io.err).toMatch(/--action must be one of would_update, .*failed/);
    expect(server.requests).toHaveLength(0);
    expect((await cli(["connections", "serials", "conn_1", "--cursor", "c2"])).io.out).toBe("No serials match.\n");
  });
});

describe("connections lookup", () => {
  const found = {
    outcome: "found",
    request: { method: "GET", url: "https://fleet.example.com/api/devices/DEV-00001", status: 200, duration_ms: 41.6 },
    requests: 1,
    raw_response: '{"device":{"serial":"DEV-00001"}}',
    raw_response_truncated: false,
    record: { serial: "DEV-00001", state: "online" },
  };

  it("posts the serial to Test lookup and prints the request and the record it resolved, exiting 0", async () => {
    server = await startLoopbackServer(() => ({ body: found }));
    const { code, io } = await cli(["connections", "lookup", "conn_1", "DEV-00001"]);
    expect(code).toBe(EXIT.ok);
    expect(server.requests[0]).toMatchObject({ method: "POST", url: expect.objectContaining({ pathname: "/api/connections/conn_1/test-lookup" }) });
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ serial: "DEV-00001", contract: "fetch" });
    expect(io.out).toBe(
      [
        "Found DEV-00001 in the destination.",
        "GET https://fleet.example.com/api/devices/DEV-00001 → HTTP 200 · 42 ms",
        JSON.stringify(found.record, null, 2),
        "",
      ].join("\n"),
    );
  });

  it("looks in the source with --source and exits 8 when the serial is not there", async () => {
    const missing = {
      ...found,
      outcome: "missing",
      record: null,
      requests: 5,
      missing_reason: "not_in_source",
      detail: "serial is not in the 5 pages of the source",
    };
    server = await startLoopbackServer(() => ({ body: missing }));
    const { code, io } = await cli(["connections", "lookup", "conn_1", "DEV-99999", "--source"]);
    expect(code).toBe(EXIT.lookupMissing);
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ serial: "DEV-99999", contract: "source" });
    expect(io.out.split("\n")[0]).toBe("Missing Source: DEV-99999 (serial is not in the 5 pages of the source).");
    expect(io.out).toContain("(5 requests)");
  });

  it("exits 1 with the destination's error and hint when the lookup failed, and prints JSON with --json", async () => {
    const failed = {
      ...found,
      outcome: "error",
      record: null,
      error: { code: "auth_failed", message: "GET /api/devices/DEV-00001 returned 401", hint: "Check the credential", http_status: 401 },
    };
    server = await startLoopbackServer(() => ({ body: failed }));
    const text = await cli(["connections", "lookup", "conn_1", "DEV-00001"]);
    expect(text.code).toBe(EXIT.error);
    expect(text.io.out.split("\n").slice(0, 2)).toEqual([
      "The lookup of DEV-00001 failed: GET /api/devices/DEV-00001 returned 401 [auth_failed]",
      "Hint: Check the credential",
    ]);
    const json = await cli(["connections", "lookup", "conn_1", "DEV-00001", "--json"]);
    expect(JSON.parse(json.io.out)).toEqual(failed);
  });
});
