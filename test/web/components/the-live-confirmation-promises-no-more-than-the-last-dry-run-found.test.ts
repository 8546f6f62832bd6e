import "@testing-library/svelte/vitest";
import { render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import LiveRunDialog from "../../../web/src/components/LiveRunDialog.svelte";
import type { CreateRunRequest } from "../../../web/src/lib/api";
import type { RunDetail } from "../../../web/src/lib/run-types";
import { estimateLiveRun } from "../../../web/src/state/dashboard.svelte";
import { jsonResponse, makeRunDetail } from "../factories";

// The last runs the ledger holds, by mode; the browser's fetch is the boundary.
function ledger(runs: { dry?: RunDetail; any?: RunDetail }) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), "http://localhost");
      if (url.pathname === "/api/runs") {
        const found = url.searchParams.get("mode") === "dry" ? runs.dry : runs.any;
        return jsonResponse({ data: found ? [found] : [], next_cursor: null });
      }
      const id = decodeURIComponent(url.pathname.split("/").pop() ?? "");
      const run = [runs.dry, runs.any].find((candidate) => candidate?.id === id);
      return run ? jsonResponse(run) : jsonResponse({ error: { code: "not_found", message: "no run" } }, 404);
    }),
  );
}

async function confirm(request: CreateRunRequest) {
  const value = await estimateLiveRun(request.credential_id, request.type, request.serial ?? null);
  render(LiveRunDialog, { request, credentialName: "Demo fleet (sandbox)", estimate: { kind: "ready", value }, onconfirm: () => {}, oncancel: () => {} });
  return screen.getByRole("dialog", { hidden: true });
}

const SINGLE: CreateRunRequest = { credential_id: "cred_demo_fleet", type: "single", serial: "DEV-99999", mode: "live" };
const FULL: CreateRunRequest = { credential_id: "cred_demo_fleet", type: "full", mode: "live" };

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the live confirmation", () => {
  it("says the last dry run found nothing to update, and why, instead of promising a write", async () => {
    const missing = {
      code: "all_missing_source" as const,
      severity: "warning" as const,
      label: "Missing Source",
      message: "Nothing to write: the record is Missing Source (not in the source, or without a field the mapping requires)",
      hint: "Check the source",
    };
    ledger({
      dry: makeRunDetail({ type: "single", serial: "DEV-99999", mode: "dry", status: "completed" }, [
        { status: "completed", in_scope: 1, processed: 1, missing_source: 1, diagnoses: [missing] },
        { status: "completed", in_scope: 1, processed: 1, missing_source: 1, diagnoses: [missing] },
      ]),
    });

    const dialog = await confirm(SINGLE);

    expect(dialog.textContent).toContain("The last dry run found 0 records to update on each of its 2 connections.");
    expect(dialog.textContent).toContain("Missing Source: Nothing to write");
    expect(dialog.textContent).toContain("Unless something changed since, this live run writes nothing.");
    expect(dialog.textContent).not.toMatch(/may write up to/);
  });

  it("repeats what the last dry run found when it found changes", async () => {
    ledger({
      dry: makeRunDetail({ mode: "dry", status: "completed" }, [
        { status: "completed", in_scope: 500, processed: 500, would_update: 141 },
        { status: "completed", in_scope: 500, processed: 500, would_update: 141 },
        { status: "completed", in_scope: 500, processed: 500, would_update: 141 },
      ]),
    });

    const dialog = await confirm(FULL);

    expect(dialog.textContent).toContain("The last dry run found 141 records to update on each of its 3 connections.");
    expect(dialog.textContent).not.toContain("writes nothing");
  });

  it("says plainly when there is no dry run of this scope, even if a live run counted it", async () => {
    ledger({ any: makeRunDetail({ mode: "live", status: "completed" }, [{ status: "completed", in_scope: 500, processed: 500, updated: 3 }]) });

    const dialog = await confirm(FULL);

    expect(dialog.textContent).toContain("There is no dry run of this scope yet, so what this run would write is not known.");
    expect(dialog.textContent).toContain("had 500 records in scope");
  });

  it("says so when nothing ran before", async () => {
    ledger({});

    const dialog = await confirm(SINGLE);

    expect(dialog.textContent).toContain("There is no dry run of this scope yet");
    expect(dialog.textContent).toContain("Single + Dry, Single + Live, Full + Dry, then Full + Live");
  });
});
