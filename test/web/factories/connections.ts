import type { Connection, ConnectionConfig, ConnectionSnapshot, ConnectionVersion, Page } from "../../../worker/schemas/types";
import type { FieldRule } from "../../../worker/engine/contracts";
import { RECORD_ACTIONS } from "../../../worker/engine/reconcile";
import type { ConnectionSerialPage } from "../../../worker/schemas/connection-serials";

import { afterEach, beforeEach, vi } from "vitest";
import { jsonResponse } from "./responses";

let sequence = 0;

export function makeFieldRule(overrides: Partial<FieldRule> = {}): FieldRule {
  return { source: "status", destination: "status", formatter: "string", action: "update_if_changed", on_null: "skip", required: false, ...overrides };
}

export function makeConfig(overrides: Partial<ConnectionConfig> = {}): ConnectionConfig {
  return {
    source: { kind: "dataset" },
    fetch: {
      mode: "per_serial",
      url_template: "http://127.0.0.1:8787/sandbox/api/devices/{serial}",
      format: "json",
      record_path: "device",
      serial_path: "serial",
      headers: {},
    },
    update: { method: "PATCH", url_template: "http://127.0.0.1:8787/sandbox/api/devices/{serial}", formatter: "json", headers: {} },
    mapping: [
      makeFieldRule({ source: "name", destination: "display_name" }),
      makeFieldRule({ source: "site", destination: "site_code", formatter: "uppercase" }),
    ],
    limits: {
      requests_per_second: 10,
      concurrency: 2,
      timeout_ms: 10_000,
      retry_attempts: 3,
      stop_on_failure: false,
      max_response_bytes: 10_485_760,
      max_pages: 100_000,
    },
    ...overrides,
  };
}

export function makeConnectionDetail(overrides: Partial<Connection> = {}): Connection {
  sequence += 1;
  return {
    id: `conn_${sequence}`,
    name: `Connection ${sequence}`,
    credential_id: "cred_demo",
    credential_name: "Demo fleet",
    position: 1,
    enabled: true,
    dry_run: true,
    debug: false,
    schedule: null,
    version: 1,
    updated_at: "2026-11-20T10:00:00.000Z",
    paused: null,
    created_at: "2026-11-20T10:00:00.000Z",
    config: makeConfig(),
    last_status: null,
    last_failed_records: 0,
    last_status_detail: null,
    last_run_at: null,
    last_success_at: null,
    consecutive_failures: 0,
    sync_cursor: null,
    freshness_sla_minutes: null,
    freshness: null,
    alerts_muted_until: null,
    ...overrides,
  };
}

export function snapshotOfConnection(connection: Connection): ConnectionSnapshot {
  const { name, enabled, dry_run, debug, schedule, config, freshness_sla_minutes } = connection;
  return { name, enabled, dry_run, debug, schedule, config, freshness_sla_minutes };
}

export function makeVersion(version: number, snapshot: ConnectionSnapshot, overrides: Partial<ConnectionVersion> = {}): ConnectionVersion {
  return {
    version,
    changed_by: "e2e-admin",
    changed_at: "2026-11-21T09:00:00.000Z",
    change_note: null,
    snapshot,
    ...overrides,
  };
}

export function page<T>(data: T[]): Page<T> {
  return { data, next_cursor: null };
}

type SerialCounts = NonNullable<ConnectionSerialPage["counts"]>;

/** A connection's serials counted per latest outcome: the ones given, every other action 0. */
export function serialCounts(given: Partial<SerialCounts> = {}): SerialCounts {
  return { ...(Object.fromEntries(RECORD_ACTIONS.map((action) => [action, 0])) as SerialCounts), ...given };
}

// A connection's serials before any run: what the connection page's Serials section reads beside the connection.
export function noSerials(): ConnectionSerialPage {
  return { data: [], next_cursor: null, counts: serialCounts(), count_cap: 10_000 };
}

/** A request the editor sent besides its saves (a dataset upload, say), and the answer a test gives it. */
export interface EditorRequest {
  method: string;
  path: string;
  contentType: string | null;
  body: string;
}

/**
 * The connection editor's reads answered for `connection` (the connection, its versions, its serials), and each save
 * (a PATCH body) collected in `patches`, answered as the next version. Any other POST, PUT or DELETE goes to `other`.
 */
export function stubConnectionEditorApi(connection: Connection, patches: unknown[], other?: (request: EditorRequest) => Response): void {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const method = init?.method ?? "GET";
      if (other !== undefined && method !== "GET" && method !== "PATCH") {
        const path = new URL(String(input), "http://localhost").pathname;
        return other({ method, path, contentType: new Headers(init?.headers).get("content-type"), body: String(init?.body) });
      }
      if (init?.method === "PATCH") {
        patches.push(JSON.parse(String(init.body)));
        return jsonResponse({ ...connection, version: connection.version + 1 });
      }
      const path = new URL(String(input), "http://localhost").pathname;
      if (path.endsWith("/versions")) return jsonResponse(page([makeVersion(connection.version, snapshotOfConnection(connection))]));
      if (path.endsWith("/serials")) return jsonResponse(noSerials());
      return jsonResponse(connection);
    }),
  );
}

// The connection editor scrolls to a field with an error: jsdom has no layout, so both scroll calls are stubbed per test.
export function useEditorScrollStubs(): void {
  beforeEach(() => {
    vi.stubGlobal("scrollTo", () => {});
    Element.prototype.scrollIntoView = () => {};
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });
}
