import { LIMIT_DEFAULTS, type ConnectionConfig, type Limits } from "../engine/contracts";
import { DEMO_FIELD_RULES } from "./demo-data";

// `wrangler dev`'s default address. Any loopback host and port reaches the sandbox (createOutboundFetch
// routes loopback /sandbox/ URLs straight to the fleet Durable Object), so the port only matters on screen.
export const DEMO_SANDBOX_BASE_URL = "http://localhost:8787/sandbox";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * The sandbox address the demo connections show: the dashboard's own origin when it is served on a loopback
 * host (so `PORT=8796 npm start` seeds :8796 URLs), else PUBLIC_URL when that is loopback, else the default.
 */
export function demoSandboxBaseUrl(requestUrl: string, publicUrl?: string): string {
  for (const candidate of [requestUrl, publicUrl]) {
    if (candidate === undefined || candidate.trim() === "") continue;
    const url = URL.parse(candidate.trim());
    if (url !== null && url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return `${url.origin}/sandbox`;
  }
  return DEMO_SANDBOX_BASE_URL;
}

export interface DemoCredential {
  id: string;
  name: string;
  scheme: "none";
}

export interface DemoConnection {
  id: string;
  name: string;
  position: number;
  schedule: string | null;
  config: ConnectionConfig;
}

export const DEMO_CREDENTIAL: DemoCredential = { id: "cred_demo_fleet", name: "Demo fleet (sandbox)", scheme: "none" };

// Paced so a Full run of all three (about 1,000 lookups, and the 141 writes when live) takes about ten seconds
// and its progress visibly moves; the sandbox itself answers at once unless its latency knob is set.
const DEMO_LIMITS: Limits = { ...LIMIT_DEFAULTS, requests_per_second: 120, concurrency: 6, timeout_ms: 10_000, retry_attempts: 3, stop_on_failure: false };

// Three endpoint families of the same destination, in execution order: whichever runs live first
// writes the changes, and the ones after it find nothing left to write.
export function demoConnections(base: string = DEMO_SANDBOX_BASE_URL): DemoConnection[] {
  return [
    {
      id: "conn_demo_json",
      name: "Device status (JSON)",
      position: 1,
      schedule: null,
      config: {
        source: { kind: "dataset" },
        fetch: {
          mode: "per_serial",
          url_template: `${base}/api/devices/{serial}`,
          format: "json",
          record_path: "device",
          serial_path: "serial",
          headers: {},
        },
        update: { method: "PATCH", url_template: `${base}/api/devices/{serial}`, formatter: "json", headers: {} },
        mapping: [...DEMO_FIELD_RULES],
        limits: DEMO_LIMITS,
      },
    },
    {
      id: "conn_demo_xml",
      name: "Device status (XML)",
      position: 2,
      schedule: null,
      config: {
        source: { kind: "dataset" },
        fetch: {
          mode: "per_serial",
          url_template: `${base}/xml/devices/{serial}`,
          format: "xml",
          record_path: "device",
          serial_path: "serial",
          headers: {},
        },
        update: {
          method: "PUT",
          url_template: `${base}/xml/devices/{serial}`,
          formatter: "xml",
          xml_root: "device",
          headers: {},
        },
        mapping: [...DEMO_FIELD_RULES],
        limits: DEMO_LIMITS,
      },
    },
    {
      id: "conn_demo_bulk",
      name: "Fleet listing (HTTP source, bulk)",
      position: 3,
      schedule: null,
      config: {
        source: {
          kind: "http",
          url: `${base}/source/devices?per_page=100`,
          headers: {},
          pagination: { style: "link" },
          format: "json",
          records_path: "devices",
          serial_path: "serial",
          updated_at_path: "last_seen_at",
          since_param: "updated_since",
        },
        fetch: {
          mode: "list",
          url: `${base}/api/devices?per_page=500`,
          format: "json",
          pagination: { style: "cursor", cursor_param: "cursor", next_cursor_path: "next_cursor" },
          records_path: "devices",
          serial_path: "serial",
          headers: {},
        },
        update: {
          method: "POST",
          url_template: `${base}/api/devices/bulk`,
          formatter: "json",
          headers: {},
          bulk: {
            max_records: 50,
            records_key: "devices",
            serial_field: "serial",
            // The sandbox answers a bulk request with a result per device (207 when it lacks one).
            item_results: { path: "results", serial_path: "serial", status_path: "status", message_path: "error.message" },
          },
        },
        mapping: [...DEMO_FIELD_RULES],
        limits: DEMO_LIMITS,
      },
    },
  ];
}

// At the default address, for tests and scripts that need the connections' ids and shapes.
export const DEMO_CONNECTIONS: DemoConnection[] = demoConnections();
