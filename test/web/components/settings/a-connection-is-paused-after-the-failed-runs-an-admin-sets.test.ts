import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import type { Settings } from "../../../../worker/schemas/settings";
import { jsonResponse, makeErrorBody } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: AutoPauseSettings } = await import("../../../../web/src/components/settings/AutoPauseSettings.svelte");
const { SettingsState } = await import("../../../../web/src/state/settings.svelte");
const { AutoPauseSettingsState } = await import("../../../../web/src/state/auto-pause-settings.svelte");

function settingsWith(pauseAfter: number): Settings {
  return {
    retention: { plan: "professional", custom_days: null, days: 30 },
    log_export: { target: "none" },
    request_log: { body_excerpt_bytes: 2048 },
    plans: { ttl_hours: 24 },
    heartbeat: { configured: false, url_hint: null, last_at: null, last_ok: null, last_status: null, last_error: null },
    connections: { pause_after_failed_runs: pauseAfter },
    telemetry: { endpoint: null, service_name: "outbound-sync", headers: [] },
    updated_at: null,
  };
}

// GET answers the stored settings; PUT answers `answer` for the body it was sent.
function serve(stored: Settings, answer: (body: unknown) => Response) {
  const sent: unknown[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path !== "/api/settings") throw new Error(`unexpected request ${path}`);
      if (init?.method !== "PUT") return jsonResponse(stored);
      const body: unknown = JSON.parse(String(init.body));
      sent.push(body);
      return answer(body);
    }),
  );
  return sent;
}

async function renderSection(lockedReason: string | null = null) {
  const settings = new SettingsState();
  render(AutoPauseSettings, { props: { settings, model: new AutoPauseSettingsState(settings), lockedReason } });
  await settings.load();
  return screen.getByRole("textbox", { name: /Pause after failed runs in a row/ }) as HTMLInputElement;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

it("shows the stored count, saves the count typed as connections.pause_after_failed_runs, and says 0 never pauses", async () => {
  const sent = serve(settingsWith(10), (body) => jsonResponse(settingsWith((body as Settings).connections.pause_after_failed_runs)));
  const field = await renderSection();
  await waitFor(() => expect(field.value).toBe("10"));

  await fireEvent.input(field, { target: { value: "3" } });
  await fireEvent.click(screen.getByRole("button", { name: "Save auto-pause" }));
  expect((await screen.findByText(/Saved: a connection is paused after 3 failed runs in a row/)).textContent).toBeTruthy();

  await fireEvent.input(field, { target: { value: "0" } });
  await fireEvent.click(screen.getByRole("button", { name: "Save auto-pause" }));
  await screen.findByText("Saved: connections are never paused for failed runs.");
  expect(sent).toEqual([{ connections: { pause_after_failed_runs: 3 } }, { connections: { pause_after_failed_runs: 0 } }]);
  expect(field.value).toBe("0");
});

it("shows the API's refusal at the field", async () => {
  serve(settingsWith(10), () =>
    jsonResponse(
      makeErrorBody("validation_failed", "Invalid settings", [{ path: "connections.pause_after_failed_runs", message: "must be at most 1000" }]),
      400,
    ),
  );
  const field = await renderSection();
  await waitFor(() => expect(field.value).toBe("10"));

  await fireEvent.input(field, { target: { value: "5000" } });
  await fireEvent.click(screen.getByRole("button", { name: "Save auto-pause" }));

  await waitFor(() => expect(field.getAttribute("aria-invalid")).toBe("true"));
  expect(
    document.getElementById(
      field
        .getAttribute("aria-describedby")
        ?.split(" ")
        .find((id) => id.includes("error")) ?? "",
    )?.textContent,
  ).toContain("must be at most 1000");
});

it("shows a non-admin the stored count read-only, with why", async () => {
  serve(settingsWith(7), () => jsonResponse(makeErrorBody("forbidden", "not in this test"), 500));
  const field = await renderSection("Changing settings needs the admin role.");
  await waitFor(() => expect(field.value).toBe("7"));

  // Disabled through the enclosing fieldset, as the other sections do.
  expect(field.matches(":disabled")).toBe(true);
  expect(screen.getByRole("button", { name: "Save auto-pause" }).matches(":disabled")).toBe(true);
  expect(screen.getByText("Changing settings needs the admin role.")).toBeTruthy();
});
