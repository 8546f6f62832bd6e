import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { makeConfig, makeConnectionDetail, stubConnectionEditorApi, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const LABEL = "Statuses that fail one record (optional)";

function editorOf(statuses?: number[]) {
  const config = makeConfig();
  if (statuses !== undefined) config.update.record_refusal_statuses = statuses;
  const connection = makeConnectionDetail({ id: "conn_refusals", name: "HubSpot contacts", version: 4, config });
  const patches: unknown[] = [];
  stubConnectionEditorApi(connection, patches);
  render(ConnectionEditorScreen, { params: { id: "conn_refusals" } });
  return patches;
}

async function save(patches: unknown[]) {
  await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
  await vi.waitFor(() => expect(patches).toHaveLength(1));
  return (patches[0] as { config: { update: Record<string, unknown> } }).config.update;
}

useEditorScrollStubs();

describe("the statuses that fail one record, in the connection editor", () => {
  it("shows the defaults as its placeholder and saves the statuses typed, 400 among them", async () => {
    const patches = editorOf();
    const field = (await screen.findByLabelText(LABEL)) as HTMLInputElement;
    expect(field.value).toBe("");
    expect(field.placeholder).toBe("409, 410, 412, 422");

    await fireEvent.input(field, { target: { value: "400, 422" } });
    expect(await save(patches)).toMatchObject({ record_refusal_statuses: [400, 422] });
  });

  it("shows an empty list as none, and a status typed over it replaces it", async () => {
    const patches = editorOf([]);
    const field = (await screen.findByLabelText(LABEL)) as HTMLInputElement;
    expect(field.value).toBe("none");
    await fireEvent.input(field, { target: { value: "409" } });
    expect(await save(patches)).toMatchObject({ record_refusal_statuses: [409] });
  });

  it("saves none as an empty list, so every 4xx fails the job again", async () => {
    const patches = editorOf([409]);
    await fireEvent.input(await screen.findByLabelText(LABEL), { target: { value: " None " } });
    expect(await save(patches)).toMatchObject({ record_refusal_statuses: [] });
  });

  it("leaves the setting out when the field is emptied, so the defaults apply", async () => {
    const patches = editorOf([409]);
    const field = (await screen.findByLabelText(LABEL)) as HTMLInputElement;
    expect(field.value).toBe("409");
    await fireEvent.input(field, { target: { value: "" } });
    expect(await save(patches)).not.toHaveProperty("record_refusal_statuses");
  });
});
