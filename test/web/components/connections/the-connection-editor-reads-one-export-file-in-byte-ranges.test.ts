import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { fieldId } from "../../../../web/src/lib/field-issues";
import { makeConfig, makeConnectionDetail, stubConnectionEditorApi, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const RANGES = "Byte ranges (one file)";

const connection = makeConnectionDetail({
  id: "conn_export",
  name: "Nightly export",
  version: 2,
  config: makeConfig({
    source: {
      kind: "http",
      url: "https://bucket.example/devices.json",
      headers: {},
      pagination: { style: "none" },
      format: "json",
      records_path: "",
      serial_path: "serial",
    },
    fetch: {
      mode: "list",
      url: "https://api.example.com/devices",
      format: "json",
      pagination: { style: "none" },
      records_path: "",
      serial_path: "serial",
      headers: {},
    },
  }),
});

const optionTexts = (path: string) => [...(document.getElementById(fieldId(path)) as HTMLSelectElement).options].map((option) => option.text);

useEditorScrollStubs();

describe("byte ranges in the connection editor", () => {
  it("are offered for a source read as NDJSON or CSV, never for a JSON source or a listing, and save the range size", async () => {
    const patches: unknown[] = [];
    stubConnectionEditorApi(connection, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_export" } });

    await screen.findByRole("button", { name: "Save changes" });
    expect(optionTexts("config.source.pagination.style")).not.toContain(RANGES);
    expect(optionTexts("config.fetch.pagination.style")).not.toContain(RANGES);

    await fireEvent.change(document.getElementById(fieldId("config.source.format"))!, { target: { value: "csv" } });
    expect(optionTexts("config.source.pagination.style")).toContain(RANGES);
    expect(optionTexts("config.fetch.pagination.style")).not.toContain(RANGES);
    await fireEvent.change(document.getElementById(fieldId("config.source.pagination.style"))!, { target: { value: "range" } });
    const size = screen.getByLabelText("Range size (KiB)") as HTMLInputElement;
    expect(size.value).toBe("4096");
    await fireEvent.input(size, { target: { value: "16384" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toMatchObject({ config: { source: { format: "csv", pagination: { style: "range", chunk_bytes: 16 * 1024 * 1024 } } } });
  });
});
