import { describe, expect, it, vi } from "vitest";
import { createApiClient } from "../../../web/src/lib/api";
import { triggerText } from "../../../web/src/lib/run-words";
import { jsonResponse, makeRun, makeRunDetail } from "../factories";

describe("runs the dashboard starts", () => {
  it("carry the dashboard's mark, so the API records them as manual rather than api", async () => {
    const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => jsonResponse(makeRunDetail(), 202));
    const client = createApiClient({ fetch: fetch as unknown as typeof globalThis.fetch, token: () => "osk_test" });

    await client.startRun({ credential_id: "cred_demo_fleet", type: "single", serial: "DEV-00001", mode: "dry" });

    const headers = fetch.mock.calls[0]![1]!.headers as Record<string, string>;
    expect(headers["x-outbound-sync-client"]).toBe("dashboard");
  });

  it("show who started them: Manual — the person, API — the token, and Schedule alone", () => {
    expect(triggerText(makeRun({ trigger: "manual", requested_by: "ada@example.com" }))).toBe("Manual — ada@example.com");
    expect(triggerText(makeRun({ trigger: "api", requested_by: "ci-deploy" }))).toBe("API — ci-deploy");
    expect(triggerText(makeRun({ trigger: "schedule", requested_by: "scheduler" }))).toBe("Schedule");
  });
});
