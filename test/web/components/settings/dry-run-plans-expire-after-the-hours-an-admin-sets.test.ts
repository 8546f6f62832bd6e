import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import type { Settings } from "../../../../worker/schemas/settings";
import { jsonResponse, makeErrorBody } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: PlanSettings } = await import("../../../../web/src/components/settings/PlanSettings.svelte");
const { SettingsState } = await import("../../../../web/src/state/settings.svelte");
const { PlanSettingsState } = await import("../../../../web/src/state/plan-settings.svelte");

function settingsWith(ttlHours: number): Settings {
  return {
    retention: { plan: "professional", custom_days: null, days: 30 },
    log_export: { target: "none" },
    request_log: { body_excerpt_bytes: 2048 },
    plans: { ttl_hours: ttlHours },
    heartbeat: { configured: false, url_hint: null, last_at: null, last_ok: null, last_status: null, last_error: null },
    connections: { pause_after_failed_runs: 10 },
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
  render(PlanSettings, { props: { settings, model: new PlanSettingsState(settings), lockedReason: null } });
  await settings.load();
  return screen.getByRole("textbox", { name: /Hours a plan can be applied/ }) as HTMLInputElement;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

it("shows the stored hours and saves the hours typed as plans.ttl_hours", async () => {
  const sent = serve(settingsWith(24), () => jsonResponse(settingsWith(48)));
  const field = await renderSection();
  await waitFor(() => expect(field.value).toBe("24"));

  await fireEvent.input(field, { target: { value: "48" } });
  await fireEvent.click(screen.getByRole("button", { name: "Save plan expiry" }));

  expect((await screen.findByText(/Saved: a dry run can be applied for 48 hours/)).textContent).toContain("after it finishes");
  expect(sent).toEqual([{ plans: { ttl_hours: 48 } }]);
  expect(field.value).toBe("48");
});

it("shows the API's refusal at the field", async () => {
  serve(settingsWith(24), () =>
    jsonResponse(makeErrorBody("validation_failed", "Invalid settings", [{ path: "plans.ttl_hours", message: "must be at most 720" }]), 400),
  );
  const field = await renderSection();
  await waitFor(() => expect(field.value).toBe("24"));

  await fireEvent.input(field, { target: { value: "1000" } });
  await fireEvent.click(screen.getByRole("button", { name: "Save plan expiry" }));

  await waitFor(() => expect(field.getAttribute("aria-invalid")).toBe("true"));
  expect(
    document.getElementById(
      field
        .getAttribute("aria-describedby")
        ?.split(" ")
        .find((id) => id.includes("error")) ?? "",
    )?.textContent,
  ).toContain("must be at most 720");
});
