import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import FreshnessBadge from "../../../../web/src/components/connections/FreshnessBadge.svelte";
import { jsonResponse, makeConnectionDetail, noSerials, page, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const freshness = (state: "on_time" | "delayed" | "overdue") => ({
  state,
  last_success_at: "2026-11-20T10:03:00.000Z",
  expected_by: "2026-11-20T11:15:00.000Z",
  overdue_at: "2026-11-20T12:15:00.000Z",
  sla_minutes: null,
});

useEditorScrollStubs();

describe("the freshness badge", () => {
  it("says On time, Delayed or Overdue, with what it means and when the next success is due", () => {
    for (const [state, label, meaning] of [
      ["on_time", "On time", "The last expected success arrived"],
      ["delayed", "Delayed", "One expected success is missing"],
      ["overdue", "Overdue", "Two expected successes are missing"],
    ] as const) {
      const { container, unmount } = render(FreshnessBadge, { freshness: freshness(state) });
      const badge = container.querySelector("[data-freshness]")!;
      expect(badge.textContent?.replace(/\s+/g, " ").trim()).toBe(`Freshness: ${label}`);
      expect(badge.getAttribute("title")).toMatch(new RegExp(`^${meaning} \\(from the schedule\\)\\. Next success due by .+; last success .+\\.$`));
      unmount();
    }
  });

  it("shows nothing for a connection without freshness (unscheduled or disabled)", () => {
    const { container } = render(FreshnessBadge, { freshness: null });
    expect(container.querySelector("[data-freshness]")).toBeNull();
  });
});

describe("the connection editor's freshness SLA", () => {
  function serve(): unknown[] {
    const connection = makeConnectionDetail({ id: "conn_sla", version: 2, schedule: "0 * * * *", freshness_sla_minutes: 90 });
    const patches: unknown[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
        if (init?.method === "PATCH") patches.push(JSON.parse(String(init.body)));
        if (String(input).includes("/serials")) return jsonResponse(noSerials());
        return jsonResponse(String(input).includes("/versions") ? page([]) : connection);
      }),
    );
    return patches;
  }

  async function saveSla(typed: string): Promise<unknown[]> {
    const patches = serve();
    render(ConnectionEditorScreen, { params: { id: "conn_sla" } });
    const sla = (await screen.findByLabelText("Freshness SLA (minutes)")) as HTMLInputElement;
    expect(sla.value).toBe("90");
    await fireEvent.input(sla, { target: { value: typed } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await vi.waitFor(() => expect(patches).toHaveLength(1));
    return patches;
  }

  it("shows the SLA and saves it cleared as null", async () => {
    expect((await saveSla(""))[0]).toMatchObject({ freshness_sla_minutes: null, expected_version: 2 });
  });

  it("sends text that is no number as 0, which the API refuses at the field, never as no SLA", async () => {
    expect((await saveSla("soon"))[0]).toMatchObject({ freshness_sla_minutes: 0 });
  });
});
