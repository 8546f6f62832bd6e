import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { type ApiCall, jsonResponse, makeConfig, makeConnectionDetail, makeErrorBody, noSerials, page, stubApi, useEditorScrollStubs } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConnectionEditorScreen } = await import("../../../../web/src/components/connections/ConnectionEditorScreen.svelte");

type Call = ApiCall;
const serve = (answer: (call: Call) => Response) => stubApi(answer);

const connection = makeConnectionDetail({
  id: "conn_limits",
  version: 4,
  config: makeConfig({
    limits: {
      requests_per_second: 10,
      concurrency: 2,
      timeout_ms: 10_000,
      retry_attempts: 3,
      stop_on_failure: false,
      max_response_bytes: 2_097_152,
      max_pages: 5_000,
    },
  }),
});

const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

useEditorScrollStubs();

describe("the connection editor's limits", () => {
  it("show the response size and page limits and save what the user types", async () => {
    const calls = serve((call) => {
      if (call.path.endsWith("/versions")) return jsonResponse(page([]));
      if (call.path.endsWith("/serials")) return jsonResponse(noSerials());
      return jsonResponse(connection);
    });

    render(ConnectionEditorScreen, { params: { id: "conn_limits" } });
    const size = (await screen.findByLabelText("Max response size (bytes)")) as HTMLInputElement;
    expect(size.value).toBe("2097152");
    expect(input("Max pages per read").value).toBe("5000");

    await fireEvent.input(size, { target: { value: "1048576" } });
    await fireEvent.input(input("Max pages per read"), { target: { value: "250" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(calls.some((call) => call.method === "PATCH")).toBe(true));
    const patch = calls.find((call) => call.method === "PATCH")!;
    expect(patch.body).toMatchObject({ expected_version: 4, config: { limits: { max_response_bytes: 1_048_576, max_pages: 250 } } });
  });

  it("show the API's refusal at the field", async () => {
    serve((call) => {
      if (call.method === "PATCH") {
        return jsonResponse(
          makeErrorBody("validation_failed", "Invalid request body", [
            { path: "config.limits.max_response_bytes", message: "Too big: expected number to be <=33554432", in: "body" },
          ]),
          400,
        );
      }
      if (call.path.endsWith("/versions")) return jsonResponse(page([]));
      if (call.path.endsWith("/serials")) return jsonResponse(noSerials());
      return jsonResponse(connection);
    });

    render(ConnectionEditorScreen, { params: { id: "conn_limits" } });
    const size = (await screen.findByLabelText("Max response size (bytes)")) as HTMLInputElement;
    await fireEvent.input(size, { target: { value: "99999999999" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save changes" }));

    await vi.waitFor(() => expect(size.getAttribute("aria-invalid")).toBe("true"));
    const described = (size.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .map((id) => document.getElementById(id)?.textContent ?? "")
      .join(" ");
    expect(described).toContain("expected number to be <=33554432");
  });
});
