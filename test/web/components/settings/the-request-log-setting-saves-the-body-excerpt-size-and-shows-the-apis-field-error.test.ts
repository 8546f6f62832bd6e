import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse, makeErrorBody } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: RequestLogSettings } = await import("../../../../web/src/components/settings/RequestLogSettings.svelte");
const { SettingsState } = await import("../../../../web/src/state/settings.svelte");
const { RequestLogSettingsState } = await import("../../../../web/src/state/request-log-settings.svelte");

// GET /api/settings with the request log's section; PUT keeps 0–65536 and names the field otherwise.
function serve() {
  let stored = {
    retention: { plan: "professional", custom_days: null, days: 30 },
    log_export: { target: "none" },
    request_log: { body_excerpt_bytes: 2048 },
    updated_at: null,
  };
  const puts: unknown[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path === "/api/retention") return jsonResponse({ error: { code: "not_found", message: "not here" } }, 404);
      if (path !== "/api/settings") throw new Error(`unexpected request ${path}`);
      if (init?.method !== "PUT") return jsonResponse(stored);
      const body = JSON.parse(String(init.body)) as { request_log: { body_excerpt_bytes: number } };
      puts.push(body);
      const bytes = body.request_log.body_excerpt_bytes;
      if (!(Number.isInteger(bytes) && bytes >= 0 && bytes <= 65_536)) {
        return jsonResponse(
          makeErrorBody("validation_failed", "Invalid request body", [
            { path: "request_log.body_excerpt_bytes", message: "Number must be less than or equal to 65536", in: "body" },
          ]),
          400,
        );
      }
      stored = { ...stored, request_log: { body_excerpt_bytes: bytes } };
      return jsonResponse(stored);
    }),
  );
  return puts;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the request log setting", () => {
  it("shows the stored body excerpt size, saves a new one without touching other sections' drafts, and shows the API's error at the field", async () => {
    const puts = serve();
    const settings = new SettingsState();
    render(RequestLogSettings, { props: { settings, model: new RequestLogSettingsState(settings), lockedReason: null } });
    await settings.load();

    const field = (await screen.findByLabelText("Body excerpt (bytes, 0–65536)")) as HTMLInputElement;
    expect(field.value).toBe("2048");

    // A retention plan being edited in its own section, not saved yet, stays as typed.
    settings.plan = "custom";
    settings.customDays = "45";
    await fireEvent.input(field, { target: { value: "0" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save request log" }));
    expect(await screen.findByText("Request log saved: no bodies are kept.")).toBeTruthy();
    expect(puts).toEqual([{ request_log: { body_excerpt_bytes: 0 } }]);
    expect([settings.plan, settings.customDays]).toEqual(["custom", "45"]);

    await fireEvent.input(field, { target: { value: "100000" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save request log" }));
    expect(await screen.findByText("Number must be less than or equal to 65536")).toBeTruthy();
    expect(field.getAttribute("aria-invalid")).toBe("true");
  });
});
