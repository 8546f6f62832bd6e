import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { jsonResponse, makeConfig, makeConnectionDetail, stubConnectionEditorApi, useEditorScrollStubs, type EditorRequest } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const connection = makeConnectionDetail({
  id: "conn_csv",
  name: "Asset export",
  version: 5,
  config: makeConfig({ source: { kind: "dataset", serial_path: '["Serial Number"]' } }),
});

// The browser's fetch is the boundary: saves go to `patches`, an upload to `uploads`, answered as stored.
function serve() {
  const patches: unknown[] = [];
  const uploads: EditorRequest[] = [];
  stubConnectionEditorApi(connection, patches, (request) => {
    uploads.push(request);
    return jsonResponse({ mode: "merge", received: 2, inserted: 2, updated: 0, unchanged: 0, deleted: 0, total: 2 });
  });
  return { patches, uploads };
}

useEditorScrollStubs();

describe("a dataset's serial field", () => {
  it("is shown in the source section and named where files are uploaded, and an upload goes out as its file type", async () => {
    const { uploads } = serve();
    render(ConnectionEditorScreen, { params: { id: "conn_csv" } });

    const field = (await screen.findByLabelText("Serial field (optional)")) as HTMLInputElement;
    expect(field.value).toBe('["Serial Number"]');
    const section = screen.getByRole("region", { name: "Dataset upload" });
    expect(within(section).getByText('["Serial Number"]').tagName).toBe("CODE");

    const file = new File(['Serial Number,Name\n"DEV-1",Pump\nDEV-2,Valve\n'], "assets.csv", { type: "text/csv" });
    await fireEvent.change(within(section).getByLabelText("File (.json, .ndjson, .csv)"), { target: { files: [file] } });
    await fireEvent.click(within(section).getByRole("button", { name: "Upload records" }));

    await vi.waitFor(() => expect(within(section).getByText(/Stored 2 records \(merge\)/)).toBeTruthy());
    expect(uploads).toEqual([
      expect.objectContaining({ method: "POST", path: "/api/connections/conn_csv/records", contentType: expect.stringMatching(/^text\/csv/) }),
    ]);
  });

  it("saves a changed field, and an emptied one as the default", async () => {
    const { patches } = serve();
    render(ConnectionEditorScreen, { params: { id: "conn_csv" } });

    await fireEvent.input(await screen.findByLabelText("Serial field (optional)"), { target: { value: "" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect((patches[0] as { config: { source: unknown } }).config.source).toEqual({ kind: "dataset" });
  });
});
