import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { fieldId } from "../../../../web/src/lib/field-issues";
import { makeConfig, makeConnectionDetail, stubConnectionEditorApi, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

const connection = makeConnectionDetail({ id: "conn_form", name: "Stripe customers", version: 3, config: makeConfig() });

useEditorScrollStubs();

describe("a form write in the connection editor", () => {
  it("offers JSON, XML and a form as the formatter, and saves the form", async () => {
    const patches: unknown[] = [];
    stubConnectionEditorApi(connection, patches);
    render(ConnectionEditorScreen, { params: { id: "conn_form" } });

    await screen.findByRole("button", { name: "Save changes" });
    // The mapping's rules have formatters too: the update contract's is found by its field id.
    const formatter = document.getElementById(fieldId("config.update.formatter")) as HTMLSelectElement;
    expect([...formatter.options].map((o) => [o.value, o.text])).toEqual([
      ["json", "JSON"],
      ["xml", "XML"],
      ["form", "Form (x-www-form-urlencoded)"],
    ]);
    await fireEvent.change(formatter, { target: { value: "form" } });
    expect(screen.queryByLabelText("XML root element")).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toMatchObject({ config: { update: { formatter: "form" } } });
  });
});
