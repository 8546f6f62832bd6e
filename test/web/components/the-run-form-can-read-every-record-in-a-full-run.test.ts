import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { credentialOptions } from "../../../web/src/state/catalog.svelte";
import { RunCommandState } from "../../../web/src/state/dashboard.svelte";
import { health } from "../../../web/src/state/system.svelte";
import { jsonResponse, makeHealth, makeRunDetail, stubModalDialogs } from "../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_test", role: "operator", name: "e2e-operator" }));
});

const { default: QuickRunForm } = await import("../../../web/src/components/QuickRunForm.svelte");

// After the first live sync a full run reads only what changed since each cursor, so a dry preview finds nothing:
// "every record" asks for complete reconciliation (the API's reset) from the dashboard itself.
const INCREMENTAL_DRY = makeRunDetail({ mode: "dry", type: "full", status: "completed", reset: false }, [{ status: "completed", in_scope: 0, processed: 0 }]);
const COMPLETE_DRY = makeRunDetail({ mode: "dry", type: "full", status: "completed", reset: true }, [
  { status: "completed", in_scope: 500, processed: 500, would_update: 142 },
]);

function serve(): { started: Array<Record<string, unknown>>; listed: URL[] } {
  const started: Array<Record<string, unknown>> = [];
  const listed: URL[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), "http://localhost");
      if (url.pathname === "/api/health") return jsonResponse(makeHealth({ demo_credential_id: null }));
      if (url.pathname === "/api/credentials") return jsonResponse({ data: [{ id: "cred_acme", name: "Acme fleet" }], next_cursor: null });
      if (url.pathname === "/api/runs" && init?.method === "POST") {
        const body = JSON.parse(String(init.body)) as Record<string, unknown>;
        started.push(body);
        return jsonResponse(makeRunDetail({ ...body, status: "pending" }), 202);
      }
      if (url.pathname === "/api/runs") {
        listed.push(url);
        return jsonResponse({ data: [INCREMENTAL_DRY, COMPLETE_DRY], next_cursor: null });
      }
      const run = [INCREMENTAL_DRY, COMPLETE_DRY].find((candidate) => url.pathname === `/api/runs/${candidate.id}`);
      if (run) return jsonResponse(run);
      throw new Error(`unexpected request ${url.pathname}`);
    }),
  );
  return { started, listed };
}

async function renderForm(): Promise<void> {
  await Promise.all([health.reload(), credentialOptions.reload()]);
  render(QuickRunForm, { commands: new RunCommandState() });
  await screen.findByRole("option", { name: "Acme fleet" });
}

beforeAll(stubModalDialogs);

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the run form's every record", () => {
  it("sends a full run with reset only when ticked, and never a single run", async () => {
    const { started } = serve();
    await renderForm();

    await fireEvent.click(screen.getByRole("button", { name: "Run Full" }));
    const everyRecord = screen.getByRole("checkbox", { name: "Full: every record" });
    expect(everyRecord.getAttribute("aria-describedby")).toBe("run-every-record-help");
    expect(screen.getByText(/Dry: changes nothing, not even the cursor\./)).toBeTruthy();
    await fireEvent.click(everyRecord);
    await fireEvent.click(screen.getByRole("button", { name: "Run Full" }));
    await fireEvent.input(screen.getByLabelText("Serial (Single)"), { target: { value: "DEV-00001" } });
    await fireEvent.click(screen.getByRole("button", { name: "Run Single" }));

    await waitFor(() => expect(started).toHaveLength(3));
    expect(started[0]).toEqual({ credential_id: "cred_acme", type: "full", mode: "dry" });
    expect(started[1]).toEqual({ credential_id: "cred_acme", type: "full", mode: "dry", reset: true });
    expect(started[2]).toEqual({ credential_id: "cred_acme", type: "single", mode: "dry", serial: "DEV-00001" });
  });

  it("in a live run says the cursors start afresh, and quotes the last dry run that also read every record", async () => {
    const { started, listed } = serve();
    await renderForm();

    await fireEvent.click(screen.getByRole("radio", { name: "Live" }));
    expect(screen.getByText(/Live: also starts each cursor afresh\./)).toBeTruthy();
    await fireEvent.click(screen.getByRole("checkbox", { name: "Full: every record" }));
    await fireEvent.click(screen.getByRole("button", { name: "Run Full" }));

    const dialog = await screen.findByRole("dialog", { hidden: true });
    await waitFor(() => expect(dialog.textContent).toContain("The last dry run found 142 records to update."));
    expect(dialog.textContent).toContain("Every record: each connection's cursor and retry list are cleared first");
    expect(listed[0]!.searchParams.get("mode")).toBe("dry");
    expect(started).toEqual([]);

    await fireEvent.click(screen.getByRole("button", { name: "Start live run", hidden: true }));
    await waitFor(() => expect(started).toEqual([{ credential_id: "cred_acme", type: "full", mode: "live", reset: true }]));
  });

  it("without it, a live full run is compared with the last dry run that read only the changes", async () => {
    serve();
    await renderForm();

    await fireEvent.click(screen.getByRole("radio", { name: "Live" }));
    await fireEvent.click(screen.getByRole("button", { name: "Run Full" }));

    const dialog = await screen.findByRole("dialog", { hidden: true });
    await waitFor(() => expect(dialog.textContent).toContain("The last dry run found 0 records to update."));
    expect(dialog.textContent).not.toContain("Every record");
  });
});
