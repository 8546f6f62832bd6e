import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunDetail } from "../../../worker/schemas/runs";
import { REDACTED } from "../../../worker/engine/redactor";
import { exportDay } from "../../../worker/retention/day-export";
import { gunzipText } from "../../../worker/retention/ndjson-gzip";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { leaksIn } from "../../engine/support/secret-forms";
import {
  coordinatorStub,
  demoConfig,
  driveRun,
  jobArchive,
  makeCredentialWith,
  makeToken,
  resetWorld,
  startRun,
  watchOutbox,
  type OutboxWatch,
  type TestAuth,
} from "../factories";
import { ECHO, FORM_GROUPS, installEchoDestination, type EchoDestination } from "./echo-destination";
import { makeSigningKeyPair } from "../../support/signing-keys";

const worker = exports.default as unknown as Fetcher;
const SLOW = { timeout: 120_000 };
const RECORDS = demoSourceDevices()
  .filter((d) => d.name !== undefined && d.site !== undefined)
  .slice(0, 3);

// Secrets with the characters that make their encodings differ: / + = & " < > ' space and non-ASCII.
const TOKEN = `tok/9f8e+7d6c=5b4a&"<x>'`;
const PASSWORD = `pä ss/wörd+&"<1>=`;
const API_KEY = `key/5e6f+7a8b=&"<k>`;
const CLIENT_SECRET = `client sécret/+=&"<c>`;
const PRIVATE_KEY = (await makeSigningKeyPair("RS256")).privatePem;
const AWS_SECRET = `aws/secret+Key=&"<s>'0123456789abcdef`;
const REFRESH_TOKEN = `rt/4c3b+2a1=&"<r>'é`;

function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const formEncode = (text: string) => new URLSearchParams({ v: text }).toString().slice(2);

interface Scheme {
  name: string;
  auth: Exclude<TestAuth, null | string>;
  // What the credential sends, as the destination receives it; fetched tokens are added after the run.
  secrets: (echo: EchoDestination) => Record<string, string>;
  // False when nothing the credential sends is a secret (a signature made for one request, 15 minutes): the echo
  // then has nothing to mask, and the secret must still never show.
  sendsSecret?: false;
}

const SCHEMES: Scheme[] = [
  {
    name: "bearer",
    auth: { scheme: "bearer", config: {}, secret: TOKEN },
    secrets: () => ({ token: TOKEN, header: `Bearer ${TOKEN}` }),
  },
  {
    name: "basic",
    auth: { scheme: "basic", config: { username: "fleet-sync" }, secret: PASSWORD },
    secrets: () => ({ password: PASSWORD, pair: `fleet-sync:${PASSWORD}`, header: `Basic ${base64Utf8(`fleet-sync:${PASSWORD}`)}` }),
  },
  {
    name: "api_key",
    auth: { scheme: "api_key", config: { header_name: "X-Api-Key", value_prefix: "Key " }, secret: API_KEY },
    secrets: () => ({ key: API_KEY, header: `Key ${API_KEY}` }),
  },
  {
    name: "oauth2",
    auth: {
      scheme: "oauth2_client_credentials",
      config: { token_url: `${ECHO}/oauth/token`, client_id: "fleet sync", client_auth: "basic" },
      secret: CLIENT_SECRET,
    },
    secrets: (echo) => ({
      client_secret: CLIENT_SECRET,
      client_header: `Basic ${base64Utf8(`${formEncode("fleet sync")}:${formEncode(CLIENT_SECRET)}`)}`,
      ...Object.fromEntries(
        echo.tokens.flatMap((token, i) => [
          [`access_token_${i}`, token],
          [`token_header_${i}`, `Bearer ${token}`],
        ]),
      ),
    }),
  },
  {
    name: "oauth2 refused by its token endpoint",
    auth: {
      scheme: "oauth2_client_credentials",
      config: { token_url: `${ECHO}/oauth/deny`, client_id: "fleet sync", client_auth: "body" },
      secret: CLIENT_SECRET,
    },
    secrets: () => ({ client_secret: CLIENT_SECRET }),
  },
  {
    name: "oauth2 JWT bearer",
    auth: { scheme: "oauth2_jwt_bearer", config: { token_url: `${ECHO}/oauth/token`, issuer: "sync@fleet.example", algorithm: "RS256" }, secret: PRIVATE_KEY },
    secrets: (echo) => ({
      private_key: PRIVATE_KEY,
      key_body: PRIVATE_KEY.split("\n").slice(1, -2).join(""),
      ...Object.fromEntries(echo.assertions.map((assertion, i) => [`assertion_${i}`, assertion])),
      ...Object.fromEntries(echo.tokens.map((token, i) => [`access_token_${i}`, token])),
    }),
  },
  {
    name: "oauth2 refresh token",
    auth: {
      scheme: "oauth2_refresh_token",
      config: { token_url: `${ECHO}/oauth/token`, client_id: "fleet sync", client_auth: "body" },
      secret: CLIENT_SECRET,
      refresh_token: REFRESH_TOKEN,
    },
    secrets: (echo) => ({
      client_secret: CLIENT_SECRET,
      refresh_token: REFRESH_TOKEN,
      ...Object.fromEntries(echo.tokens.map((token, i) => [`access_token_${i}`, token])),
    }),
  },
  {
    name: "oauth2 refresh token refused by its token endpoint",
    auth: {
      scheme: "oauth2_refresh_token",
      config: { token_url: `${ECHO}/oauth/deny`, client_id: "fleet sync", client_auth: "basic" },
      secret: CLIENT_SECRET,
      refresh_token: REFRESH_TOKEN,
    },
    // The echo's error body holds the form it was sent, refresh token and all, and the Basic header.
    secrets: () => ({
      client_secret: CLIENT_SECRET,
      refresh_token: REFRESH_TOKEN,
      client_header: `Basic ${base64Utf8(`${formEncode("fleet sync")}:${formEncode(CLIENT_SECRET)}`)}`,
    }),
  },
  {
    name: "aws_sigv4",
    auth: { scheme: "aws_sigv4", config: { access_key_id: "AKIAIOSFODNN7EXAMPLE", region: "eu-west-1", service: "execute-api" }, secret: AWS_SECRET },
    secrets: () => ({ secret_access_key: AWS_SECRET }),
    sendsSecret: false,
  },
  {
    name: "oauth2 JWT bearer refused by its token endpoint",
    auth: { scheme: "oauth2_jwt_bearer", config: { token_url: `${ECHO}/oauth/deny`, issuer: "sync@fleet.example", algorithm: "RS256" }, secret: PRIVATE_KEY },
    // The echo's error body holds the assertion it was sent.
    secrets: (echo) => ({ private_key: PRIVATE_KEY, ...Object.fromEntries(echo.assertions.map((assertion, i) => [`assertion_${i}`, assertion])) }),
  },
];

// Every connection of a scheme's credential: a write the destination refuses with an echo, and a lookup
// it refuses with an echo, each leading with a different group of encodings.
function echoConfigs() {
  return FORM_GROUPS.flatMap((_, group) => [
    { path: `echo/${group}`, fetch: `echo/${group}` },
    { path: `echo/${group}`, fetch: `deny/${group}` },
  ]).map(({ path, fetch }) => ({
    config: demoConfig(0, (config) => {
      if (config.fetch.mode === "per_serial") config.fetch.url_template = `${ECHO}/${fetch}/devices/{serial}`;
      config.update.url_template = `${ECHO}/${path}/devices/{serial}`;
    }),
    dry_run: false,
    debug: true,
  }));
}

let token = "";
async function text(path: string, init: RequestInit = {}): Promise<string> {
  const res = await worker.fetch(`http://localhost${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  const body = await res.text();
  expect(res.status, `${path}: ${body.slice(0, 300)}`).toBe(200);
  return body;
}

async function mcpTool(name: string, args: Record<string, unknown>): Promise<string> {
  const transport = new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
    fetch: (url, init) => worker.fetch(new Request(url, init)),
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "redaction-test", version: "1.0.0" });
  await client.connect(transport);
  try {
    return JSON.stringify(await client.callTool({ name, arguments: args }));
  } finally {
    await client.close();
  }
}

// The payloads the alert fan-out built from the run's status events: what every delivery stores and sends
// (the events themselves leave the outbox once fanned out).
async function alertPayloads(outbox: OutboxWatch, runId: string): Promise<string> {
  const events = await outbox.eventsOf(runId);
  expect(events.filter((e) => e.type === "job.status_changed" && e.payload.status === "failed").length).toBeGreaterThan(0);
  return events.map((e) => JSON.stringify(e.payload)).join("\n");
}

async function ledgerRows(runId: string): Promise<string> {
  const tables = [
    env.LEDGER.prepare("SELECT * FROM jobs WHERE run_id = ?1").bind(runId),
    env.LEDGER.prepare("SELECT * FROM runs WHERE id = ?1").bind(runId),
    env.LEDGER.prepare("SELECT * FROM record_outcomes WHERE run_id = ?1").bind(runId),
    env.LEDGER.prepare("SELECT l.* FROM logs l JOIN jobs j ON j.id = l.job_id WHERE j.run_id = ?1").bind(runId),
  ];
  return JSON.stringify((await env.LEDGER.batch(tables)).map((r) => r.results));
}

async function dayExport(): Promise<string> {
  const written = new Map<string, Uint8Array>();
  const day = new Date().toISOString().slice(0, 10);
  const result = await exportDay(env.LEDGER, day, {
    target: {
      label: "memory:redaction",
      prefix: "redaction/",
      put: async (key, body) => void written.set(key, body),
      copy: async (key, object) => void written.set(key, new Uint8Array(await object.arrayBuffer())),
    },
    archive: env.ARCHIVE,
    archivePageSize: 1_000,
    now: Date.now,
    deadline: Date.now() + 60_000,
    jobsPageSize: 100,
    logsPageSize: 500,
    logsPerFile: 10_000,
  });
  expect(result.status).toBe("succeeded");
  const files = await Promise.all([...written].filter(([key]) => key.endsWith(".ndjson.gz")).map(([, body]) => gunzipText(body)));
  return files.join("\n");
}

type Outputs = Record<string, string>;
const seen = new Map<string, { secrets: Record<string, string>; outputs: Outputs; run: RunDetail }>();
let echo: EchoDestination;

beforeAll(async () => {
  await resetWorld();
  token = (await makeToken("operator")).token;
  echo = installEchoDestination();
  const outbox = await watchOutbox();
  for (const scheme of SCHEMES) {
    const { credentialId, connectionIds } = await makeCredentialWith(echoConfigs(), RECORDS, scheme.auth);
    const run = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
    const outputs: Outputs = {};
    const add = (name: string, value: string) => void (outputs[name] = `${outputs[name] ?? ""}\n${value}`);
    for (const job of run.jobs) {
      add("GET /api/jobs/{id}", await text(`/api/jobs/${job.id}`));
      add("GET /api/jobs/{id}/records", await text(`/api/jobs/${job.id}/records?limit=100`));
      add("GET /api/jobs/{id}/records?format=csv", await text(`/api/jobs/${job.id}/records?format=csv`));
      add("GET /api/jobs/{id}/logs", await text(`/api/jobs/${job.id}/logs?limit=500`));
      add("GET /api/jobs/{id}/logs?download=1", await text(`/api/jobs/${job.id}/logs?download=1`));
      add("GET /api/jobs/{id}/requests", await text(`/api/jobs/${job.id}/requests?limit=500`));
    }
    add("GET /api/runs/{id}", await text(`/api/runs/${run.id}`));
    add("the coordinator's jobs, as the live feed publishes them", JSON.stringify(await coordinatorStub(run.id).snapshot()));
    add("the alert payloads of the failed jobs", await alertPayloads(outbox, run.id));
    add("MCP get_job_status", await mcpTool("get_job_status", { run_id: run.id, limit: 100, since: "1h" }));
    for (const job of run.jobs) add("MCP list_job_records", await mcpTool("list_job_records", { job_id: job.id, limit: 100 }));
    add("the ledger's rows", await ledgerRows(run.id));
    for (const job of run.jobs)
      add(
        "the run's archive in R2",
        JSON.stringify(await jobArchive(job.id), (_key, value: unknown) => (value instanceof Map ? [...value] : value)),
      );
    for (const id of connectionIds) {
      add(
        "Test lookup",
        await text(`/api/connections/${id}/test-lookup`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ serial: RECORDS[0]!.serial }),
        }),
      );
    }
    seen.set(scheme.name, { secrets: scheme.secrets(echo), outputs, run });
  }
}, 600_000);

afterAll(() => {
  echo?.restore();
});

describe("a destination that echoes every encoding of what authenticated the request", () => {
  it.each(SCHEMES.map((s) => s.name))("gets a %s credential's requests, fails the jobs and the echo is masked", SLOW, (name) => {
    const { run, outputs } = seen.get(name)!;
    expect(run.status).toBe("failed");
    expect(run.jobs.every((job) => job.status === "failed")).toBe(true);
    if (SCHEMES.find((scheme) => scheme.name === name)!.sendsSecret === false) {
      expect(run.jobs.map((job) => job.error?.message ?? "").join("\n")).toMatch(/AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\//);
      return;
    }
    expect(run.jobs.map((job) => job.error?.message ?? "").join("\n")).toContain(REDACTED);
    expect(outputs["GET /api/jobs/{id}/records?format=csv"]).toContain(REDACTED);
    expect(outputs["the run's archive in R2"]).toContain(REDACTED);
    expect(outputs["Test lookup"]).toContain(REDACTED);
    expect(outputs["GET /api/jobs/{id}/requests"]).toContain(REDACTED);
  });

  it("fetched OAuth2 access tokens, which are part of what is masked", () => {
    expect(echo.tokens.length).toBeGreaterThan(0);
  });

  it("logs the OAuth2 token requests, accepted and refused, with their bodies masked", () => {
    const entries = (name: string) =>
      seen
        .get(name)!
        .outputs["GET /api/jobs/{id}/requests"]!.split("\n")
        .filter((line) => line !== "")
        .flatMap(
          (line) =>
            (JSON.parse(line) as { data: Array<{ phase: string; status: number | null; request_body: string | null; response_body: string | null }> }).data,
        )
        .filter((entry) => entry.phase === "token");
    const granted = entries("oauth2");
    expect(granted.length).toBeGreaterThan(0);
    expect(granted.every((entry) => entry.status === 200 && entry.response_body!.includes(`"access_token":"${REDACTED}"`))).toBe(true);
    const refused = entries("oauth2 refused by its token endpoint");
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((entry) => entry.status !== 200 && entry.request_body!.includes(`client_secret=${encodeURIComponent(REDACTED)}`))).toBe(true);
  });

  it("logs the refresh-token grants the credential's keeper made for each run, refresh token masked", () => {
    for (const name of ["oauth2 refresh token", "oauth2 refresh token refused by its token endpoint"]) {
      const entries = seen
        .get(name)!
        .outputs["GET /api/jobs/{id}/requests"]!.split("\n")
        .filter((line) => line !== "")
        .flatMap((line) => (JSON.parse(line) as { data: Array<{ phase: string; request_body: string | null }> }).data)
        .filter((entry) => entry.phase === "token");
      expect(entries.length, name).toBeGreaterThan(0);
      expect(entries.every((entry) => entry.request_body!.includes(`refresh_token=${encodeURIComponent(REDACTED)}`))).toBe(true);
    }
  });

  it("logs the JWT bearer token requests with the signed assertion masked", () => {
    expect(echo.assertions.length).toBeGreaterThan(0);
    for (const name of ["oauth2 JWT bearer", "oauth2 JWT bearer refused by its token endpoint"]) {
      const entries = seen
        .get(name)!
        .outputs["GET /api/jobs/{id}/requests"]!.split("\n")
        .filter((line) => line !== "")
        .flatMap((line) => (JSON.parse(line) as { data: Array<{ phase: string; request_body: string | null }> }).data)
        .filter((entry) => entry.phase === "token");
      expect(entries.length, name).toBeGreaterThan(0);
      expect(entries.every((entry) => entry.request_body!.includes(`assertion=${encodeURIComponent(REDACTED)}`))).toBe(true);
    }
  });

  const EMITTERS = [
    "GET /api/jobs/{id}",
    "GET /api/jobs/{id}/records",
    "GET /api/jobs/{id}/records?format=csv",
    "GET /api/jobs/{id}/logs",
    "GET /api/jobs/{id}/logs?download=1",
    "GET /api/jobs/{id}/requests",
    "GET /api/runs/{id}",
    "the coordinator's jobs, as the live feed publishes them",
    "the alert payloads of the failed jobs",
    "MCP get_job_status",
    "MCP list_job_records",
    "the ledger's rows",
    "the run's archive in R2",
    "Test lookup",
  ];
  for (const emitter of EMITTERS) {
    it.each(SCHEMES.map((s) => s.name))(`never shows a %s secret in ${emitter}`, (name) => {
      const { secrets, outputs } = seen.get(name)!;
      expect(outputs[emitter], emitter).toBeDefined();
      expect(leaksIn(outputs[emitter]!, secrets)).toEqual([]);
    });
  }

  it("never shows any secret in the day's NDJSON export", async () => {
    const ndjson = await dayExport();
    expect(ndjson).toContain(REDACTED);
    for (const { secrets } of seen.values()) expect(leaksIn(ndjson, secrets)).toEqual([]);
  });
});
