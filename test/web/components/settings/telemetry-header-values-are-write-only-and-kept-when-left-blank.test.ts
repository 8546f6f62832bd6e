import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import type { Settings } from "../../../../worker/schemas/settings";
import { jsonResponse, makeErrorBody } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: TelemetrySettings } = await import("../../../../web/src/components/settings/TelemetrySettings.svelte");
const { SettingsState } = await import("../../../../web/src/state/settings.svelte");
const { TelemetrySettingsState } = await import("../../../../web/src/state/telemetry-settings.svelte");

function settingsWith(telemetry: Settings["telemetry"]): Settings {
  return {
    retention: { plan: "professional", custom_days: null, days: 30 },
    log_export: { target: "none" },
    request_log: { body_excerpt_bytes: 2048 },
    plans: { ttl_hours: 24 },
    connections: { pause_after_failed_runs: 10 },
    telemetry,
    heartbeat: { configured: false, url_hint: null, last_at: null, last_ok: null, last_status: null, last_error: null },
    updated_at: null,
  };
}

const STORED = settingsWith({
  endpoint: "https://api.honeycomb.io",
  service_name: "sync-prod",
  headers: [{ name: "x-honeycomb-team", value_hint: "••••WXYZ" }],
});

function serve(answer: (body: any) => Response) {
  const sent: any[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path === "/api/retention") return jsonResponse({ error: { code: "unused", message: "not in this test" } }, 500);
      if (path !== "/api/settings") throw new Error(`unexpected request ${path}`);
      if (init?.method !== "PUT") return jsonResponse(STORED);
      const body = JSON.parse(String(init.body));
      sent.push(body);
      return answer(body);
    }),
  );
  return sent;
}

async function renderSection(lockedReason: string | null = null) {
  const settings = new SettingsState();
  render(TelemetrySettings, { props: { settings, model: new TelemetrySettingsState(settings), lockedReason } });
  await settings.load();
  const endpoint = screen.getByRole("textbox", { name: "OTLP endpoint" }) as HTMLInputElement;
  await waitFor(() => expect(endpoint.value).toBe("https://api.honeycomb.io"));
  return endpoint;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

it("shows a stored header by name and hint, keeps its value when left blank and sends a new header's value", async () => {
  const sent = serve(() => jsonResponse(STORED));
  await renderSection();
  expect(screen.getByText("Stored ••••WXYZ; blank keeps it.")).toBeTruthy();
  expect(document.body.innerHTML).not.toContain("hcaik_");

  await fireEvent.click(screen.getByRole("button", { name: "Add header" }));
  const names = screen.getAllByRole("textbox", { name: "Name" }) as HTMLInputElement[];
  await fireEvent.input(names[1]!, { target: { value: "x-honeycomb-dataset" } });
  const values = screen.getAllByLabelText("Value") as HTMLInputElement[];
  expect(values[1]!.type).toBe("password");
  await fireEvent.input(values[1]!, { target: { value: "sync" } });
  await fireEvent.click(screen.getByRole("button", { name: "Save telemetry" }));
  expect(await screen.findByText(/Saved: traces and metrics go to this endpoint/)).toBeTruthy();
  expect(sent).toEqual([
    {
      telemetry: {
        endpoint: "https://api.honeycomb.io",
        service_name: "sync-prod",
        headers: [{ name: "x-honeycomb-team" }, { name: "x-honeycomb-dataset", value: "sync" }],
      },
    },
  ]);
});

it("shows the API's refusal at the endpoint field", async () => {
  serve(() =>
    jsonResponse(makeErrorBody("validation_failed", "Invalid settings", [{ path: "telemetry.endpoint", message: "Only https URLs are allowed." }]), 400),
  );
  const endpoint = await renderSection();
  await fireEvent.input(endpoint, { target: { value: "http://collector.example:4318" } });
  await fireEvent.click(screen.getByRole("button", { name: "Save telemetry" }));
  await waitFor(() => expect(endpoint.getAttribute("aria-invalid")).toBe("true"));
  expect(document.body.textContent).toContain("Only https URLs are allowed.");
});

it("is read-only with the reason when the viewer may not change it", async () => {
  serve(() => jsonResponse(STORED));
  await renderSection("Only admins can change settings.");
  expect(screen.getByRole("button", { name: "Save telemetry" }).matches(":disabled")).toBe(true);
  expect(screen.getByRole("textbox", { name: "Name" }).matches(":disabled")).toBe(true);
  expect(screen.getByText("Only admins can change settings.")).toBeTruthy();
});
