import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import {
  type ApiCall,
  jsonResponse,
  makeConnectionDetail,
  makeErrorBody,
  makeVersion,
  noSerials,
  page,
  snapshotOfConnection,
  stubApi,
  useEditorScrollStubs,
} from "../../factories";

// The editor reads the signed-in role when its modules load, so the admin session is stored first.
vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

type Call = ApiCall;
const serve = (answer: (call: Call) => Response) => stubApi(answer);

function fieldOf(label: string, rule: HTMLElement): HTMLInputElement {
  return within(rule).getByLabelText(label) as HTMLInputElement;
}

function describedText(element: HTMLElement): string {
  const ids = element.getAttribute("aria-describedby")?.split(" ") ?? [];
  return ids.map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
}

const connection = makeConnectionDetail({ id: "conn_edit", name: "Device status", version: 2 });

useEditorScrollStubs();

describe("the connection editor", () => {
  it("shows each 400 detail at its field: a mapping rule's destination and the fetch URL template", async () => {
    const calls = serve((call) => {
      if (call.method === "PATCH") {
        return jsonResponse(
          makeErrorBody("validation_failed", "Invalid request body: config.mapping[1].destination: … (and 1 more)", [
            { path: "config.mapping[1].destination", message: 'destination "display_name" is already used by mapping[0]', in: "body" },
            { path: "config.fetch.url_template", message: "URL template must contain {serial}", in: "body" },
          ]),
          400,
        );
      }
      if (call.path.endsWith("/versions")) return jsonResponse(page([makeVersion(2, snapshotOfConnection(connection))]));
      if (call.path.endsWith("/serials")) return jsonResponse(noSerials());
      return jsonResponse(connection);
    });

    render(ConnectionEditorScreen, { params: { id: "conn_edit" } });
    const rule2 = (await screen.findByText("Rule 2")).closest("fieldset") as HTMLElement;
    await fireEvent.input(fieldOf("Destination path", rule2), { target: { value: "display_name" } });
    await fireEvent.input(screen.getByLabelText("URL template (GET)"), { target: { value: "http://127.0.0.1:8787/sandbox/api/devices" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    const destination = fieldOf("Destination path", rule2);
    await vi.waitFor(() => expect(destination.getAttribute("aria-invalid")).toBe("true"));
    expect(describedText(destination)).toContain('destination "display_name" is already used by mapping[0]');
    const template = screen.getByLabelText("URL template (GET)");
    expect(template.getAttribute("aria-invalid")).toBe("true");
    expect(describedText(template)).toContain("URL template must contain {serial}");
    // Rule 1's fields stay clean: the error is not smeared over the whole mapping.
    const rule1 = screen.getByText("Rule 1").closest("fieldset") as HTMLElement;
    expect(fieldOf("Destination path", rule1).getAttribute("aria-invalid")).toBeNull();

    const summary = screen.getByText(/2 fields need attention/).closest<HTMLElement>('[role="alert"]')!;
    expect(within(summary).getByRole("link", { name: "config.mapping[1].destination" })).toBeTruthy();

    const patch = calls.find((call) => call.method === "PATCH");
    expect(patch?.body).toMatchObject({ expected_version: 2, config: { fetch: { url_template: "http://127.0.0.1:8787/sandbox/api/devices" } } });
  });

  it("on a version conflict keeps the edits and offers to reload the newer version", async () => {
    let reloaded = false;
    serve((call) => {
      if (call.method === "PATCH") {
        return jsonResponse(
          makeErrorBody("version_conflict", "The connection is at version 3, not 2.", [], { meta: { current_version: 3, expected_version: 2 } }),
          409,
        );
      }
      if (call.path.endsWith("/versions")) return jsonResponse(page([]));
      if (call.path.endsWith("/serials")) return jsonResponse(noSerials());
      return jsonResponse(reloaded ? { ...connection, name: "Renamed by someone else", version: 3 } : connection);
    });

    render(ConnectionEditorScreen, { params: { id: "conn_edit" } });
    const name = (await screen.findByLabelText("Name")) as HTMLInputElement;
    await fireEvent.input(name, { target: { value: "My new name" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    const reload = await screen.findByRole("button", { name: "Reload version 3" });
    expect(name.value).toBe("My new name");
    reloaded = true;
    await fireEvent.click(reload);

    await vi.waitFor(() => expect((screen.getByLabelText("Name") as HTMLInputElement).value).toBe("Renamed by someone else"));
    expect(screen.queryByRole("button", { name: "Reload version 3" })).toBeNull();
  });
});
