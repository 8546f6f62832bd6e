import "@testing-library/svelte/vitest";
import { render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import QuickRunForm from "../../../web/src/components/QuickRunForm.svelte";
import { health } from "../../../web/src/state/system.svelte";
import { credentialOptions } from "../../../web/src/state/catalog.svelte";
import { RunCommandState } from "../../../web/src/state/dashboard.svelte";
import { jsonResponse, makeHealth } from "../factories";

const NOTE = /share one sandbox fleet/;

function serve(demoCredentialId: string | null, credentials: Array<{ id: string; name: string }>) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path === "/api/health") return jsonResponse(makeHealth({ demo_credential_id: demoCredentialId }));
      if (path === "/api/credentials") return jsonResponse({ data: credentials, next_cursor: null });
      throw new Error(`unexpected request ${path}`);
    }),
  );
}

async function renderForm(): Promise<void> {
  await Promise.all([health.reload(), credentialOptions.reload()]);
  render(QuickRunForm, { commands: new RunCommandState() });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the run form", () => {
  it("says the demo credential's connections share one sandbox fleet", async () => {
    serve("cred_demo_fleet", [{ id: "cred_demo_fleet", name: "Demo fleet (sandbox)" }]);
    await renderForm();
    expect(await screen.findByText(NOTE)).toBeTruthy();
  });

  it("says nothing of the kind for an operator's own credential", async () => {
    serve(null, [{ id: "cred_acme", name: "Acme fleet" }]);
    await renderForm();
    expect(await screen.findByRole("option", { name: "Acme fleet" })).toBeTruthy();
    expect(screen.queryByText(NOTE)).toBeNull();
  });
});
