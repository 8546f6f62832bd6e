import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { makeConnectionDetail, stubConnectionEditorApi, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const connection = makeConnectionDetail({ id: "conn_verify", name: "Device status", version: 2 });

useEditorScrollStubs();

describe("read-back verification in the connection editor", () => {
  it("is off for a connection that never set it, and a sample asks for its percentage", async () => {
    const patches: unknown[] = [];
    stubConnectionEditorApi(connection, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_verify" } });

    const mode = (await screen.findByLabelText("Verify writes (read back)")) as HTMLSelectElement;
    expect(mode.value).toBe("off");
    expect(screen.queryByLabelText("Sample (% of written records)")).toBeNull();
    await fireEvent.change(mode, { target: { value: "sample" } });
    await fireEvent.input(await screen.findByLabelText("Sample (% of written records)"), { target: { value: "25" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toMatchObject({ config: { update: { verify_writes: "sample", verify_sample_percent: 25 } } });
  });
});
