import { expect, type APIRequestContext } from "@playwright/test";
import type { Connection, Credential } from "../../worker/schemas/types";
import type { ConnectionConfig } from "../../worker/engine/contracts";

// A credential of the test's own with connections against the sandbox, so tests that reorder, toggle
// and edit leave the demo fleet as other tests expect it. `remove` deletes them again.

export interface TestFleet {
  credential: Credential;
  connections: Connection[];
  remove(): Promise<void>;
}

async function json<T>(response: Awaited<ReturnType<APIRequestContext["get"]>>): Promise<T> {
  expect(response.ok(), `${response.url()} answered ${response.status()}: ${await response.text()}`).toBe(true);
  return (await response.json()) as T;
}

export function sandboxConfig(baseURL: string, overrides: Partial<ConnectionConfig> = {}): ConnectionConfig {
  const devices = `${baseURL}/sandbox/api/devices/{serial}`;
  return {
    source: { kind: "dataset" },
    fetch: { mode: "per_serial", url_template: devices, format: "json", record_path: "device", serial_path: "serial", headers: {} },
    update: { method: "PATCH", url_template: devices, formatter: "json", headers: {} },
    mapping: [
      { source: "name", destination: "display_name", formatter: "string", action: "update_if_changed", on_null: "skip", required: true },
      { source: "site", destination: "site_code", formatter: "uppercase", action: "update_if_changed", on_null: "skip", required: false },
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

export async function createFleet(api: APIRequestContext, baseURL: string, label: string, names: readonly string[]): Promise<TestFleet> {
  // Sorted after "Demo fleet (sandbox)", so the demo stays the first group on the Connections page.
  const credential = await json<Credential>(await api.post("/api/credentials", { data: { name: `E2E ${label} ${Date.now()}`, scheme: "none" } }));
  const connections: Connection[] = [];
  for (const name of names) {
    connections.push(
      await json<Connection>(await api.post("/api/connections", { data: { credential_id: credential.id, name, config: sandboxConfig(baseURL) } })),
    );
  }
  return {
    credential,
    connections,
    async remove() {
      for (const connection of connections) await api.delete(`/api/connections/${connection.id}`);
      await api.delete(`/api/credentials/${credential.id}`);
    },
  };
}
