import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { makeConfig, makeConnectionDetail, stubConnectionEditorApi, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const listing = {
  mode: "list" as const,
  url: "https://api.example.com/devices",
  format: "json" as const,
  pagination: { style: "cursor" as const, cursor_param: "cursor", next_cursor_path: "next" },
  records_path: "items",
  serial_path: "serial",
  headers: {},
};
const connection = makeConnectionDetail({ id: "conn_offset", name: "Device listing", version: 4, config: makeConfig({ fetch: listing }) });

useEditorScrollStubs();

describe("offset and keyset pagination in the connection editor", () => {
  it("asks for the offset and limit parameters, the limit and the first offset, and saves them", async () => {
    const patches: unknown[] = [];
    stubConnectionEditorApi(connection, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_offset" } });

    await fireEvent.change(await screen.findByLabelText("Pagination"), { target: { value: "offset" } });
    expect((screen.getByLabelText("Offset parameter") as HTMLInputElement).value).toBe("offset");
    expect((screen.getByLabelText("Limit parameter (optional)") as HTMLInputElement).value).toBe("limit");
    await fireEvent.input(screen.getByLabelText("Limit (records a page)"), { target: { value: "250" } });
    await fireEvent.input(screen.getByLabelText("First offset"), { target: { value: "1" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toMatchObject({
      config: { fetch: { pagination: { style: "offset", offset_param: "offset", limit_param: "limit", page_size: 250, first_offset: 1 } } },
    });
  });

  it("asks for the start-after parameter and the key's path for keyset paging, and saves them", async () => {
    const patches: unknown[] = [];
    stubConnectionEditorApi(connection, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_offset" } });

    await fireEvent.change(await screen.findByLabelText("Pagination"), { target: { value: "keyset" } });
    expect((screen.getByLabelText("Start-after parameter") as HTMLInputElement).value).toBe("starting_after");
    await fireEvent.input(screen.getByLabelText("Path to each record's key"), { target: { value: "id" } });
    await fireEvent.input(screen.getByLabelText("Path to the has-more flag (optional)"), { target: { value: "has_more" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toMatchObject({
      config: { fetch: { pagination: { style: "keyset", after_param: "starting_after", key_path: "id", has_more_path: "has_more" } } },
    });
  });
});
