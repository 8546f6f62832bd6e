import "@testing-library/svelte/vitest";
import { render, screen } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import { jsonResponse, makeCredential, page } from "../../factories";
import type { Credential } from "../../../../worker/schemas/types";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: NewConnectionScreen } = await import("../../../../web/src/components/connections/NewConnectionScreen.svelte");

afterEach(() => {
  vi.unstubAllGlobals();
});

function serveCredentials(credentials: Credential[]): void {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path === "/api/credentials") return jsonResponse(page(credentials));
      throw new Error(`unexpected request ${path}`);
    }),
  );
}

it("sends a newcomer without credentials to create one in the dashboard, not to the API", async () => {
  serveCredentials([]);
  render(NewConnectionScreen);

  const link = await screen.findByRole("link", { name: "Create a credential" });
  expect(link.getAttribute("href")).toBe("/credentials");
  expect(document.body.textContent).not.toContain("POST /api/credentials");
});

it("offers Manage credentials beside the credential picker", async () => {
  serveCredentials([makeCredential({ name: "Fleet API" })]);
  render(NewConnectionScreen);

  const picker = (await screen.findByRole("combobox", { name: "Credential" })) as HTMLSelectElement;
  expect([...picker.options].map((option) => option.text)).toEqual(["Fleet API"]);
  expect(screen.getByRole("link", { name: "Manage credentials" }).getAttribute("href")).toBe("/credentials");
});
