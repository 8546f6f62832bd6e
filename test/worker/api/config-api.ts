import { env } from "cloudflare:test";
import { expect } from "vitest";
import type { Role } from "../../../worker/auth/principal";
import { tokenFor } from "../factories/auth";
import { app } from "../../../worker/app";
import type { ConnectionConfigInput } from "../../../worker/engine/contracts";
import type { Env } from "../../../worker/env";
import type { ConfigPlan } from "../../../worker/schemas/config-as-code";
import type { ApiErrorBody, Connection, Credential } from "../../../worker/schemas/types";

// Helpers for driving the configuration API the way a script would: real tokens, real D1, JSON bodies.

export const SANDBOX = "http://localhost:8787/sandbox";

let counter = 0;
export const unique = (prefix: string) => `${prefix} ${Date.now().toString(36)}-${++counter}`;

export { tokenFor };

export interface CallOptions {
  as?: Role | null;
  body?: unknown;
  // Sent as is, for bodies that are not JSON.
  raw?: BodyInit;
  headers?: Record<string, string>;
  env?: Env;
}

export interface CallResult<T> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<CallResult<T>> {
  const role = options.as === undefined ? "admin" : options.as;
  const headers: Record<string, string> = { ...options.headers };
  if (role !== null) headers.authorization = `Bearer ${await tokenFor(role)}`;
  let body: BodyInit | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }, options.env ?? env);
  const text = await res.text();
  const contentType = res.headers.get("content-type") ?? "";
  return { status: res.status, headers: res.headers, body: (contentType.includes("json") && text ? JSON.parse(text) : text) as T };
}

export function errorOf(result: CallResult<unknown>): ApiErrorBody["error"] {
  return (result.body as ApiErrorBody).error;
}

// A configuration document as the tests edit it.
export type Doc = Record<string, any>;

export async function exported(): Promise<Doc> {
  const res = await call<Doc>("GET", "/api/config/export?format=json");
  expect(res.status).toBe(200);
  return res.body;
}

export async function plan(document: unknown): Promise<ConfigPlan> {
  const res = await call<ConfigPlan>("POST", "/api/config/plan", { body: { document } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export function makeConfig(overrides: Partial<ConnectionConfigInput> = {}): ConnectionConfigInput {
  return {
    source: { kind: "dataset" },
    fetch: {
      mode: "per_serial",
      url_template: `${SANDBOX}/api/devices/{serial}`,
      format: "json",
      record_path: "device",
      serial_path: "serial",
    },
    update: { method: "PATCH", url_template: `${SANDBOX}/api/devices/{serial}`, formatter: "json" },
    mapping: [{ source: "name", destination: "name" }],
    ...overrides,
  };
}

export async function createCredential(overrides: Record<string, unknown> = {}): Promise<Credential> {
  const res = await call<Credential>("POST", "/api/credentials", { body: { name: unique("Credential"), scheme: "none", ...overrides } });
  if (res.status !== 201) throw new Error(`credential not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function createConnection(credentialId: string, overrides: Record<string, unknown> = {}): Promise<Connection> {
  const res = await call<Connection>("POST", "/api/connections", {
    body: { credential_id: credentialId, name: unique("Connection"), config: makeConfig(), ...overrides },
  });
  if (res.status !== 201) throw new Error(`connection not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export interface D1Recording {
  db: D1Database;
  // The SQL of every batch, and of every statement run on its own.
  batches: string[][];
  singles: string[];
}

/** Wraps the D1 binding to record which statements ran inside which batch; everything still runs for real. */
export function recordD1(real: D1Database): D1Recording {
  const recording: D1Recording = { db: real, batches: [], singles: [] };
  const sqlOf = new WeakMap<object, string>();
  const realOf = new WeakMap<object, D1PreparedStatement>();

  const wrap = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), sql);
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") {
          return (...args: unknown[]) => {
            recording.singles.push(sql);
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    sqlOf.set(proxy, sql);
    realOf.set(proxy, statement);
    return proxy;
  };

  recording.db = new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), sql);
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          recording.batches.push(statements.map((s) => sqlOf.get(s) ?? "?"));
          return target.batch(statements.map((s) => realOf.get(s) ?? s));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return recording;
}

export async function rowCount(table: string, where = "1 = 1", ...values: unknown[]): Promise<number> {
  const row = await env.LEDGER.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`)
    .bind(...values)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
