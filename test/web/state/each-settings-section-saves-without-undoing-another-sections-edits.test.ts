import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonResponse } from "../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { SettingsState } = await import("../../../web/src/state/settings.svelte");

// GET /api/settings and a PUT that stores whichever section it was sent; retention's status is not needed here.
function serve(): void {
  let stored: Record<string, unknown> = {
    retention: { plan: "professional", custom_days: null, days: 30 },
    log_export: { target: "none" },
    request_log: { body_excerpt_bytes: 2048 },
    updated_at: null,
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path === "/api/retention") return jsonResponse({ error: { code: "not_found", message: "not here" } }, 404);
      if (init?.method === "PUT") {
        const body = JSON.parse(String(init.body)) as Record<string, Record<string, unknown>>;
        if (body.retention) body.retention = { custom_days: null, ...body.retention, days: body.retention.custom_days ?? 30 };
        stored = { ...stored, ...body };
      }
      return jsonResponse(stored);
    }),
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("the Settings page's retention and log export sections", () => {
  it("each take back only their own draft when saved", async () => {
    serve();
    const settings = new SettingsState();
    await settings.load();

    settings.exportDraft = { ...settings.exportDraft, target: "r2", prefix: "typed-not-saved/" };
    settings.plan = "custom";
    settings.customDays = "45";
    expect(await settings.savePlan()).toBe(true);
    expect([settings.plan, settings.customDays]).toEqual(["custom", "45"]);
    expect(settings.exportDraft).toMatchObject({ target: "r2", prefix: "typed-not-saved/" });

    settings.customDays = "60";
    settings.exportDraft = { ...settings.exportDraft, target: "none" };
    expect(await settings.saveExport()).toBe(true);
    expect(settings.exportDraft.target).toBe("none");
    expect(settings.customDays).toBe("60");
  });
});
