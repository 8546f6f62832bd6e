import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import type { Settings } from "../../../../worker/schemas/settings";
import { jsonResponse, makeErrorBody } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: HeartbeatSettings } = await import("../../../../web/src/components/settings/HeartbeatSettings.svelte");
const { SettingsState } = await import("../../../../web/src/state/settings.svelte");
const { HeartbeatSettingsState } = await import("../../../../web/src/state/heartbeat-settings.svelte");

const HINT = "https://hc-ping.example/••••/abc";

function settingsWith(heartbeat: Partial<Settings["heartbeat"]>): Settings {
  return {
    retention: { plan: "professional", custom_days: null, days: 30 },
    log_export: { target: "none" },
    request_log: { body_excerpt_bytes: 2048 },
    plans: { ttl_hours: 24 },
    connections: { pause_after_failed_runs: 10 },
    telemetry: { endpoint: null, service_name: "outbound-sync", headers: [] },
    heartbeat: { configured: false, url_hint: null, last_at: null, last_ok: null, last_status: null, last_error: null, ...heartbeat },
    updated_at: null,
  };
}

function serve(stored: Settings, answer: (body: unknown) => Response) {
  const sent: unknown[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path === "/api/retention") return jsonResponse({ error: { code: "unused", message: "not in this test" } }, 500);
      if (path !== "/api/settings") throw new Error(`unexpected request ${path}`);
      if (init?.method !== "PUT") return jsonResponse(stored);
      const body: unknown = JSON.parse(String(init.body));
      sent.push(body);
      return answer(body);
    }),
  );
  return sent;
}

async function renderSection() {
  const settings = new SettingsState();
  render(HeartbeatSettings, { props: { settings, model: new HeartbeatSettingsState(settings), lockedReason: null } });
  await settings.load();
  return screen.getByRole("textbox", { name: "Heartbeat URL" }) as HTMLInputElement;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

it("shows how the last call went and only a hint of the URL, replaces it, keeps it on a blank save, and turns it off", async () => {
  const failing = settingsWith({
    configured: true,
    url_hint: HINT,
    last_at: new Date(Date.now() - 120_000).toISOString(),
    last_ok: false,
    last_status: 503,
    last_error: "The monitor answered HTTP 503.",
  });
  const sent = serve(failing, (body) => {
    const url = (body as { heartbeat: { url: string | null } }).heartbeat.url;
    return jsonResponse(settingsWith(url === null ? {} : { configured: true, url_hint: "https://hc-ping.example/••••/new" }));
  });
  const field = await renderSection();
  await waitFor(() =>
    expect(screen.getByRole("status").textContent?.replace(/\s+/g, " ").trim()).toBe("Last call 2 minutes ago failed: The monitor answered HTTP 503."),
  );
  // Write-only: the field starts blank and the hint names the monitor without its token.
  expect(field.value).toBe("");
  expect(document.body.textContent).toContain(`Set: ${HINT}.`);
  expect(document.body.textContent).not.toContain("https://hc-ping.example/abc");

  await fireEvent.click(screen.getByRole("button", { name: "Save heartbeat" }));
  expect(await screen.findByText("Nothing to save: the URL set is kept. Enter a new one to replace it.")).toBeTruthy();
  expect(sent).toEqual([]);

  await fireEvent.input(field, { target: { value: " https://hc-ping.example/new " } });
  await fireEvent.click(screen.getByRole("button", { name: "Save heartbeat" }));
  expect(await screen.findByText("Saved: the URL is called on every minute tick from the next one on.")).toBeTruthy();
  expect(screen.getByText("Not called yet: the next minute tick calls it.")).toBeTruthy();
  expect(field.value).toBe("");

  await fireEvent.click(screen.getByRole("button", { name: "Turn off" }));
  expect(await screen.findByText("Heartbeat off: no URL is called.")).toBeTruthy();
  expect(screen.queryByRole("button", { name: "Turn off" })).toBeNull();
  expect(sent).toEqual([{ heartbeat: { url: "https://hc-ping.example/new" } }, { heartbeat: { url: null } }]);
});

it("shows the API's refusal at the field", async () => {
  serve(settingsWith({}), () =>
    jsonResponse(makeErrorBody("validation_failed", "Invalid settings", [{ path: "heartbeat.url", message: "Only https URLs are allowed." }]), 400),
  );
  const field = await renderSection();
  await fireEvent.input(field, { target: { value: "http://monitor.example/ping" } });
  await fireEvent.click(screen.getByRole("button", { name: "Save heartbeat" }));
  await waitFor(() => expect(field.getAttribute("aria-invalid")).toBe("true"));
  expect(document.body.textContent).toContain("Only https URLs are allowed.");
});
