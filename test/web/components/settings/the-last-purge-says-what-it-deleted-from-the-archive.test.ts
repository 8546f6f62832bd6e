import "@testing-library/svelte/vitest";
import { render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RetentionPassView, RetentionResponse } from "../../../../worker/schemas/retention";
import type { Settings } from "../../../../worker/schemas/settings";
import { jsonResponse } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: RetentionSettings } = await import("../../../../web/src/components/settings/RetentionSettings.svelte");
const { SettingsState } = await import("../../../../web/src/state/settings.svelte");

const settings: Settings = {
  retention: { plan: "professional", custom_days: null, days: 30 },
  log_export: { target: "none" },
  request_log: { body_excerpt_bytes: 2048 },
  plans: { ttl_hours: 24 },
  heartbeat: { configured: false, url_hint: null, last_at: null, last_ok: null, last_status: null, last_error: null },
  connections: { pause_after_failed_runs: 10 },
  telemetry: { endpoint: null, service_name: "outbound-sync", headers: [] },
  updated_at: null,
};

function pass(archive: RetentionPassView["archive_deleted"]): RetentionPassView {
  const at = new Date(Date.now() - 3_600_000).toISOString();
  return {
    id: "ret_1",
    status: "completed",
    phase: "done",
    cutoff: at,
    purge_before: at,
    blocked_day: null,
    deleted: { logs: 0, record_outcomes: 0, jobs: 12, runs: 3, events: 0, delivery_attempts: 0, deliveries: 0, schedule_ticks: 0 },
    archive_deleted: archive,
    error: null,
    started_at: at,
    finished_at: at,
    invocations: 1,
    longest_statement_ms: 4,
    export_target: null,
    exported_days: [],
  };
}

function serve(last: RetentionPassView): void {
  const report: RetentionResponse = {
    policy: { plan: "professional", days: 30, cutoff: new Date().toISOString() },
    log_export: { target: "none", destination: null, key_layout: null, failing_day: null, days: [] },
    running_pass: null,
    last_finished_pass: last,
    passes: [last],
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path === "/api/settings") return jsonResponse(settings);
      if (path === "/api/retention") return jsonResponse(report);
      throw new Error(`unexpected request ${path}`);
    }),
  );
}

async function renderLastPurge(): Promise<void> {
  const model = new SettingsState();
  render(RetentionSettings, { props: { model, lockedReason: null } });
  await model.load();
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the last purge", () => {
  it("names the archive objects and bytes it deleted beside the rows", async () => {
    serve(pass({ days: 2, objects: 1_204, bytes: 3_400_000 }));
    await renderLastPurge();
    const line = await screen.findByText(/deleted 3 runs, 12 jobs/);
    expect(line.textContent).toMatch(/deleted 3 runs, 12 jobs, 1,204 archive objects \(3\.4 MB\)/);
  });

  it("leaves the archive out when it deleted none of it", async () => {
    serve(pass({ days: 0, objects: 0, bytes: 0 }));
    await renderLastPurge();
    const line = await screen.findByText(/deleted 3 runs, 12 jobs/);
    expect(line.textContent).not.toMatch(/archive/);
  });
});
