import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { jsonResponse, makeConnectionDetail, makeErrorBody, makeVersion, noSerials, page, snapshotOfConnection, useEditorScrollStubs } from "../../factories";

// The editor reads the signed-in role when its modules load, so the admin session is stored first.
vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const connection = makeConnectionDetail({ id: "conn_two", name: "Device status", version: 4 });

// What the API answers for "https://{id}.example/devices": three problems of one field, each its own entry.
const TEMPLATE_PROBLEMS = [
  "unknown placeholder {id}: only {serial} is available here",
  "URL template must contain {serial}",
  'placeholders may appear only after the host: start with "https://host/" (forward slashes) before the first placeholder',
];

function serveRefusal() {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (init?.method === "PATCH") {
        return jsonResponse(
          makeErrorBody(
            "validation_failed",
            "Invalid request body: config.fetch.url_template: unknown placeholder {id} (and 2 more)",
            TEMPLATE_PROBLEMS.map((message) => ({ path: "config.fetch.url_template", message, in: "body" })),
          ),
          400,
        );
      }
      if (path.endsWith("/versions")) return jsonResponse(page([makeVersion(4, snapshotOfConnection(connection))]));
      if (path.endsWith("/serials")) return jsonResponse(noSerials());
      return jsonResponse(connection);
    }),
  );
}

function describedText(element: HTMLElement): string {
  const ids = element.getAttribute("aria-describedby")?.split(" ") ?? [];
  return ids.map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
}

useEditorScrollStubs();

describe("a field with several problems", () => {
  it("is marked inline with every message, and the summary counts it as one field that links to it", async () => {
    serveRefusal();
    render(ConnectionEditorScreen, { params: { id: "conn_two" } });
    const template = (await screen.findByLabelText("URL template (GET)")) as HTMLInputElement;
    await fireEvent.input(template, { target: { value: "https://{id}.example/devices" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(template.getAttribute("aria-invalid")).toBe("true"));
    const inline = document.getElementById(`${template.id}-error`)!;
    expect(
      within(inline)
        .getAllByRole("listitem")
        .map((item) => item.textContent),
    ).toEqual(TEMPLATE_PROBLEMS);
    for (const message of TEMPLATE_PROBLEMS) expect(describedText(template)).toContain(message);

    const summary = screen.getByRole("alert");
    expect(within(summary).getByText(/Not saved: 1 field needs attention/)).toBeTruthy();
    const links = within(summary).getAllByRole("link", { name: "config.fetch.url_template" });
    expect(links).toHaveLength(3);
    for (const link of links) expect(link.getAttribute("href")).toBe(`#${template.id}`);
    // Nothing lands on the section or the config as a whole.
    expect(screen.queryByText(/config\.config/)).toBeNull();
  });
});
