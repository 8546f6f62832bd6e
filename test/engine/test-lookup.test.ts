import { describe, expect, it } from "vitest";
import type { FetchContract } from "../../worker/engine/contracts";
import { createCredentialHeaders, type CredentialAuth } from "../../worker/engine/credential-auth";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { runTestLookup } from "../../worker/engine/test-lookup";
import { makeLimits, useLoopbackServers } from "./support/engine-fixtures";

const serve = useLoopbackServers();
const runtime = createSystemRuntime();

function perSerial(base: string, overrides: Partial<Extract<FetchContract, { mode: "per_serial" }>> = {}): FetchContract {
  return { mode: "per_serial", url_template: `${base}/devices/{serial}`, format: "json", record_path: "device", serial_path: "serial", headers: {}, ...overrides };
}

function lookup(contract: FetchContract, serial: string, auth: CredentialAuth = { scheme: "none" }, extra: { maxPages?: number; maxBodyChars?: number } = {}) {
  return runTestLookup({
    contract,
    serial,
    runtime,
    limits: makeLimits({ retry_attempts: 1 }),
    auth: createCredentialHeaders(auth, { runtime }),
    ...extra,
  });
}

describe("runTestLookup", () => {
  it("masks the credential's secret wherever the destination echoes it", async () => {
    const server = await serve((request) => ({
      body: { device: { serial: "A1", seen_auth: request.headers.authorization }, note: `token was ${request.headers.authorization}` },
    }));
    const report = await lookup(perSerial(server.url), "A1", { scheme: "bearer", token: "very-secret-token" });

    expect(report.outcome).toBe("found");
    expect(server.requests[0]?.headers.authorization).toBe("Bearer very-secret-token");
    expect(JSON.stringify(report)).not.toContain("very-secret-token");
    expect(report.record).toEqual({ serial: "A1", seen_auth: "Bearer ••••" });
  });

  it("looks up again with a new OAuth2 token when the destination rejects the first", async () => {
    const tokens = await serve(() => ({ body: { access_token: `access-${tokens.requests.length}`, expires_in: 3600 } }));
    const server = await serve((request) =>
      request.headers.authorization === "Bearer access-1" ? { status: 401 } : { body: { device: { serial: "A1" } } },
    );
    const report = await lookup(perSerial(server.url), "A1", {
      scheme: "oauth2_client_credentials",
      token_url: `${tokens.url}/token`,
      client_id: "client-1",
      client_secret: "client-secret",
      client_auth: "body",
    });

    expect(report).toMatchObject({ outcome: "found", requests: 2, request: { status: 200 } });
    expect(tokens.requests).toHaveLength(2);
  });

  it("truncates a long raw response and says so", async () => {
    const server = await serve(() => ({ body: { device: { serial: "A1", blob: "z".repeat(5000) } } }));
    const report = await lookup(perSerial(server.url), "A1", undefined, { maxBodyChars: 100 });
    expect(report.raw_response).toHaveLength(100);
    expect(report.raw_response_truncated).toBe(true);
  });

  it("reports a record whose serial differs as missing", async () => {
    const server = await serve(() => ({ body: { device: { serial: "B2" } } }));
    const report = await lookup(perSerial(server.url), "A1");
    expect(report).toMatchObject({ outcome: "missing", missing_reason: "serial_mismatch", record: null });
  });

  it("turns a failing endpoint into an error with the code, hint and every attempt counted", async () => {
    const server = await serve(() => ({ status: 503, body: "down" }));
    const report = await lookup(perSerial(server.url), "A1");
    expect(report.outcome).toBe("error");
    expect(report.error).toMatchObject({ code: "retries_exhausted", http_status: 503 });
    expect(report.requests).toBe(2);
    expect(report.request).toMatchObject({ status: 503 });
  });

  it("stops paging a listing at the page limit", async () => {
    const server = await serve((request) => {
      const page = Number(request.url.searchParams.get("page") ?? "1");
      return { body: { items: [{ sn: `P${page}` }] } };
    });
    const contract: FetchContract = {
      mode: "list",
      url: `${server.url}/devices`,
      format: "json",
      pagination: { style: "page", page_param: "page", page_size: 1, first_page: 1 },
      records_path: "items",
      serial_path: "sn",
      headers: {},
    };
    expect(await lookup(contract, "P3", undefined, { maxPages: 5 })).toMatchObject({ outcome: "found", requests: 3, record: { sn: "P3" } });
    expect(await lookup(contract, "P99", undefined, { maxPages: 5 })).toMatchObject({ outcome: "missing", missing_reason: "beyond_page_limit" });
  });
});
