import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { makeConfig, makeConnectionDetail, stubConnectionEditorApi, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const connection = makeConnectionDetail({ id: "conn_etag", name: "Graph tasks", version: 2, config: makeConfig() });

useEditorScrollStubs();

describe("If-Match in the connection editor", () => {
  it("is off by default; from a record field it asks for the field and saves both", async () => {
    const patches: unknown[] = [];
    stubConnectionEditorApi(connection, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_etag" } });

    const from = (await screen.findByLabelText("Send If-Match from")) as HTMLSelectElement;
    expect(from.value).toBe("off");
    expect([...from.options].map((o) => o.text)).toEqual(["Off", "The lookup's ETag header", "A field of the looked-up record"]);
    expect(screen.queryByLabelText("Version field")).toBeNull();
    await fireEvent.change(from, { target: { value: "record" } });
    await fireEvent.input(screen.getByLabelText("Version field"), { target: { value: '["@odata.etag"]' } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toMatchObject({ config: { update: { if_match: { from: "record", path: '["@odata.etag"]' } } } });
  });

  it("from the ETag header sends no field", async () => {
    const patches: unknown[] = [];
    stubConnectionEditorApi(connection, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_etag" } });

    await fireEvent.change(await screen.findByLabelText("Send If-Match from"), { target: { value: "etag_header" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect((patches[0] as { config: { update: { if_match: unknown } } }).config.update.if_match).toEqual({ from: "etag_header" });
  });
});
