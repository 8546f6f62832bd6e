import "@testing-library/svelte/vitest";
import { render, screen, within } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import { jsonResponse, makeCredential, page } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_v_test", role: "viewer", name: "e2e-viewer" }));
});

const { default: CredentialsScreen } = await import("../../../../web/src/components/credentials/CredentialsScreen.svelte");

afterEach(() => {
  vi.unstubAllGlobals();
});

it("shows viewers the list with every change and test disabled, saying which role it needs", async () => {
  const credential = makeCredential({ name: "Fleet API", secret_hint: "••••7f3a" });
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path === "/api/credentials") return jsonResponse(page([credential]));
      if (path === "/api/connections") return jsonResponse(page([]));
      throw new Error(`unexpected request ${path}`);
    }),
  );
  render(CredentialsScreen);

  const item = (await screen.findByRole("heading", { name: "Fleet API", level: 3 })).closest("li") as HTMLElement;
  expect(item.textContent).toContain("••••7f3a");
  // The id the API and the CLI take (runs start --credential), for a viewer too.
  expect(within(item).getByText(credential.id).tagName).toBe("CODE");
  for (const name of ["Edit Fleet API", "Delete Fleet API"]) {
    const button = within(item).getByRole("button", { name }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(document.getElementById(button.getAttribute("aria-describedby") ?? "")?.textContent).toBe(
      "Viewer tokens cannot configure: this needs the admin role.",
    );
  }
  const panel = within(item).getByRole("region", { name: "Test authentication" });
  expect(within(panel).queryByRole("button")).toBeNull();
  expect(panel.textContent).toContain("Viewer tokens cannot test authentication: this needs the operator role.");
  expect(screen.queryByRole("form", { name: "Create a credential" })).toBeNull();
});
