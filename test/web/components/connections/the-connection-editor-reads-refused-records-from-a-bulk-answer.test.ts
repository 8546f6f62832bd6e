import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { makeConfig, makeConnectionDetail, stubConnectionEditorApi, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const bulkUpdate = {
  ...makeConfig().update,
  method: "POST" as const,
  url_template: "https://api.example.com/devices/bulk",
  bulk: { max_records: 50, records_key: "devices" },
};
const connection = makeConnectionDetail({ id: "conn_bulk", name: "Bulk devices", version: 2, config: makeConfig({ update: bulkUpdate }) });

useEditorScrollStubs();

describe("a bulk answer's refused records in the connection editor", () => {
  it("are off until asked for, then read from the list, matched by serial, with each item's status and message", async () => {
    const patches: unknown[] = [];
    stubConnectionEditorApi(connection, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_bulk" } });

    const reads = (await screen.findByLabelText("The answer lists refused records (207 or an error list)")) as HTMLInputElement;
    expect(reads.checked).toBe(false);
    expect(screen.queryByLabelText("Path to the item list")).toBeNull();
    await fireEvent.click(reads);
    await fireEvent.input(screen.getByLabelText("Path to the item list"), { target: { value: "results" } });
    await fireEvent.input(screen.getByLabelText("Path to the item's serial"), { target: { value: "serial" } });
    await fireEvent.input(screen.getByLabelText("Path to the item's status (optional)"), { target: { value: "status" } });
    await fireEvent.input(screen.getByLabelText("Path to the item's message (optional)"), { target: { value: "error.message" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toMatchObject({
      config: { update: { bulk: { item_results: { path: "results", serial_path: "serial", status_path: "status", message_path: "error.message" } } } },
    });
  });

  it("matched by their place in the list, ask for no serial or index path", async () => {
    const patches: unknown[] = [];
    stubConnectionEditorApi(connection, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_bulk" } });

    await fireEvent.click(await screen.findByLabelText("The answer lists refused records (207 or an error list)"));
    await fireEvent.input(screen.getByLabelText("Path to the item list"), { target: { value: "items" } });
    await fireEvent.change(screen.getByLabelText("Match an item to its record by"), { target: { value: "position" } });
    expect(screen.queryByLabelText("Path to the item's serial")).toBeNull();
    await fireEvent.input(screen.getByLabelText("Path to the item's status (optional)"), { target: { value: "index.status" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect((patches[0] as { config: { update: { bulk: unknown } } }).config.update.bulk).toEqual({
      max_records: 50,
      records_key: "devices",
      item_results: { path: "items", status_path: "index.status" },
    });
  });
});
