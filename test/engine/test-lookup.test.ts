import { describe, expect, it } from "vitest";
import type { FetchContract } from "../../worker/engine/contracts";
import { createCredentialHeaders, type CredentialAuth } from "../../worker/engine/credential-auth";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { runTestLookup } from "../../worker/engine/test-lookup";
import { REDACTED } from "../../worker/engine/redactor";
import { makeLimits } from "./factories";
import { useLoopbackServers } from "./support/engine-fixtures";
import type { LoopbackRequest, LoopbackServer } from "./support/loopback-server";
import { leaksIn, secretForms } from "./support/secret-forms";

const serve = useLoopbackServers();
const runtime = createSystemRuntime();

function perSerial(base: string, overrides: Partial<Extract<FetchContract, { mode: "per_serial" }>> = {}): FetchContract {
  return {
    mode: "per_serial",
    url_template: `${base}/devices/{serial}`,
    format: "json",
    record_path: "device",
    serial_path: "serial",
    headers: {},
    ...overrides,
  };
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
    expect(report.record).toEqual({ serial: "A1", seen_auth: REDACTED });
  });

  const ECHOED: Array<[string, CredentialAuth, Record<string, string>]> = [
    ["bearer", { scheme: "bearer", token: 'tok/1+2=3&"<x>' }, { token: 'tok/1+2=3&"<x>' }],
    ["basic", { scheme: "basic", username: "u", password: "pä ss/+=&" }, { password: "pä ss/+=&", pair: "u:pä ss/+=&" }],
    ["api_key", { scheme: "api_key", header_name: "X-Api-Key", key: "key/9+8=7&", value_prefix: "Key " }, { key: "key/9+8=7&" }],
  ];
  it.each(ECHOED)("masks every encoding of a %s credential a destination echoes, found or refused", async (_name, auth, secrets) => {
    const echo = (request: LoopbackRequest) => {
      const sent = String(request.headers.authorization ?? request.headers["x-api-key"]);
      return Object.values({ ...secretForms(sent), ...Object.fromEntries(Object.values(secrets).flatMap((s) => Object.entries(secretForms(s)))) }).join(" ");
    };
    const found = await serve((request) => ({ body: { device: { serial: "A1", echo: echo(request) } } }));
    const refused = await serve((request) => ({ status: 401, body: `denied ${echo(request)}` }));
    const sentHeader = async (server: LoopbackServer) => String(server.requests[0]!.headers.authorization ?? server.requests[0]!.headers["x-api-key"]);

    const ok = await lookup(perSerial(found.url), "A1", auth);
    const error = await lookup(perSerial(refused.url), "A1", auth);
    const truncated = await lookup(perSerial(found.url), "A1", auth, { maxBodyChars: 60 });

    expect(ok.outcome).toBe("found");
    expect(error.outcome).toBe("error");
    for (const report of [ok, error, truncated]) {
      const all = { ...secrets, header: await sentHeader(found) };
      expect(leaksIn(JSON.stringify(report), all)).toEqual([]);
      expect(leaksIn([report.raw_response, report.error?.message, JSON.stringify(report.record)].join("\n"), all)).toEqual([]);
    }
    expect(error.error!.message).toContain(REDACTED);
  });

  it("masks an OAuth2 access token the destination echoes", async () => {
    const tokens = await serve(() => ({ body: { access_token: "access/token+1=", expires_in: 3600 } }));
    const server = await serve((request) => ({
      status: 403,
      body: `forbidden for ${request.headers.authorization} (${btoa(String(request.headers.authorization))})`,
    }));
    const report = await lookup(perSerial(server.url), "A1", {
      scheme: "oauth2_client_credentials",
      token_url: `${tokens.url}/token`,
      client_id: "client-1",
      client_secret: "client-secret",
      client_auth: "body",
    });
    expect(report.outcome).toBe("error");
    expect(leaksIn(JSON.stringify(report), { token: "access/token+1=", header: "Bearer access/token+1=" })).toEqual([]);
    expect(leaksIn(report.raw_response ?? "", { token: "access/token+1=", header: "Bearer access/token+1=" })).toEqual([]);
  });

  it("looks up again with a new OAuth2 token when the destination rejects the first", async () => {
    const tokens = await serve(() => ({ body: { access_token: `access-${tokens.requests.length}`, expires_in: 3600 } }));
    const server = await serve((request) => (request.headers.authorization === "Bearer access-1" ? { status: 401 } : { body: { device: { serial: "A1" } } }));
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
