import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { jsonResponse, makeConnectionDetail, makeErrorBody, makeVersion, noSerials, page, snapshotOfConnection, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const connection = makeConnectionDetail({ id: "conn_keys", name: "Device status", version: 2 });

// The browser's fetch is the boundary; PATCH answers with `patchAnswer`.
function serve(patchAnswer: () => Response) {
  const patches: unknown[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (init?.method === "PATCH") {
        patches.push(JSON.parse(String(init.body)));
        return patchAnswer();
      }
      if (path.endsWith("/versions")) return jsonResponse(page([makeVersion(2, snapshotOfConnection(connection))]));
      if (path.endsWith("/serials")) return jsonResponse(noSerials());
      return jsonResponse(connection);
    }),
  );
  return patches;
}

useEditorScrollStubs();

describe("the update contract's idempotency key", () => {
  it("is on by default with the default header, and turning it off saves null", async () => {
    const patches = serve(() => jsonResponse({ ...connection, version: 3 }));
    render(ConnectionEditorScreen, { params: { id: "conn_keys" } });

    const toggle = (await screen.findByLabelText("Send an idempotency key with every write")) as HTMLInputElement;
    // The id the API and the CLI take, shown beside the connection's status.
    expect(screen.getByText("conn_keys").tagName).toBe("CODE");
    expect(toggle.checked).toBe(true);
    expect((screen.getByLabelText("Idempotency header") as HTMLInputElement).placeholder).toBe("Idempotency-Key");
    await fireEvent.click(toggle);
    expect(screen.queryByLabelText("Idempotency header")).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toMatchObject({ config: { update: { idempotency_header: null } } });
  });

  it("shows the API's complaint about a header name at the field", async () => {
    serve(() =>
      jsonResponse(
        makeErrorBody("validation_failed", "Invalid request body", [
          { path: "config.update.idempotency_header", message: '"bad header" is not a valid header name', in: "body" },
        ]),
        400,
      ),
    );
    render(ConnectionEditorScreen, { params: { id: "conn_keys" } });

    const name = (await screen.findByLabelText("Idempotency header")) as HTMLInputElement;
    await fireEvent.input(name, { target: { value: "bad header" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(name.getAttribute("aria-invalid")).toBe("true"));
  });
});
