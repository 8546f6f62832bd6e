import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { makeConfig, makeConnectionDetail, stubConnectionEditorApi, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const connection = makeConnectionDetail({ id: "conn_graphql", name: "GraphQL devices", version: 3, config: makeConfig() });

useEditorScrollStubs();

describe("a failure said in a success answer, in the connection editor", () => {
  it("asks for the error, the success flag and the message paths once switched on, and saves those given", async () => {
    const patches: unknown[] = [];
    stubConnectionEditorApi(connection, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_graphql" } });

    const on = (await screen.findByLabelText("A success answer can say the write failed (errors beside a 200)")) as HTMLInputElement;
    expect(on.checked).toBe(false);
    expect(screen.queryByLabelText("Path to the error (optional)")).toBeNull();
    await fireEvent.click(on);
    await fireEvent.input(screen.getByLabelText("Path to the error (optional)"), { target: { value: "errors" } });
    await fireEvent.input(screen.getByLabelText("Path to the failure's message (optional)"), { target: { value: "errors[0].message" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toMatchObject({ config: { update: { answer_check: { error_path: "errors", message_path: "errors[0].message" } } } });
    expect((patches[0] as { config: { update: { answer_check: object } } }).config.update.answer_check).not.toHaveProperty("ok_path");
  });
});
