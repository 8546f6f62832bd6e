import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { fieldId } from "../../../../web/src/lib/field-issues";
import { makeConfig, makeConnectionDetail, stubConnectionEditorApi, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const source = {
  kind: "http" as const,
  url: "https://warehouse.example.com/exports/devices",
  headers: {},
  pagination: { style: "link" as const },
  format: "json" as const,
  records_path: "data",
  serial_path: "serial",
};
const connection = makeConnectionDetail({ id: "conn_export", name: "Warehouse export", version: 2, config: makeConfig({ source }) });

// The listing has fields of the same names; the source's are found by their field ids.
const sourceField = (name: string) => document.getElementById(fieldId(`config.source.${name}`))!;

useEditorScrollStubs();

describe("a source export in the connection editor", () => {
  it("offers JSON, XML, NDJSON and CSV, and saves CSV with the serial's column and no records path", async () => {
    const patches: unknown[] = [];
    stubConnectionEditorApi(connection, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_export" } });

    const format = (await screen.findByLabelText("Source format")) as HTMLSelectElement;
    expect(format.value).toBe("json");
    expect([...format.options].map((o) => o.value)).toEqual(["json", "xml", "ndjson", "csv"]);
    await fireEvent.change(format, { target: { value: "csv" } });
    expect(screen.getByText("Leave empty: the body is the record list itself.")).toBeTruthy();
    expect(screen.getByText("The serial's column, as the header row names it.")).toBeTruthy();
    await fireEvent.input(sourceField("records_path"), { target: { value: "" } });
    await fireEvent.input(sourceField("serial_path"), { target: { value: "device_serial" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toMatchObject({ config: { source: { kind: "http", format: "csv", records_path: "", serial_path: "device_serial" } } });
  });

  it("loads an NDJSON source as NDJSON, so saving another change keeps it", async () => {
    const patches: unknown[] = [];
    const ndjson = makeConnectionDetail({ ...connection, config: makeConfig({ source: { ...source, format: "ndjson", records_path: "" } }) });
    stubConnectionEditorApi(ndjson, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_export" } });

    expect(((await screen.findByLabelText("Source format")) as HTMLSelectElement).value).toBe("ndjson");
    await fireEvent.input(screen.getByLabelText("Source URL (GET)"), { target: { value: "https://warehouse.example.com/exports/devices.ndjson" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toMatchObject({ config: { source: { format: "ndjson", url: "https://warehouse.example.com/exports/devices.ndjson" } } });
  });
});
