import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { jsonResponse, stubModalDialogs } from "../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_test", role: "operator", name: "e2e-operator" }));
});

const { default: BulkRunActions } = await import("../../../web/src/components/BulkRunActions.svelte");

beforeEach(() => {
  stubModalDialogs();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

// The preview answers each action's count, as POST /api/runs/bulk/preview does.
function serve(counts: { cancel: number; rerun: number }) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path !== "/api/runs/bulk/preview") throw new Error(`unexpected request ${path}`);
      const { action } = JSON.parse(String(init?.body)) as { action: "cancel" | "rerun" };
      return jsonResponse({ count: counts[action], over_limit: false, run_ids: [] });
    }),
  );
}

const sentence = () => screen.getByRole("dialog", { hidden: true }).querySelector("p")!.textContent!.replace(/\s+/g, " ").trim();

it("the confirmation says how many runs, which ones and what happens to them, in one sentence", async () => {
  serve({ cancel: 2, rerun: 5 });
  render(BulkRunActions, { filters: {}, ondone: () => undefined });

  await fireEvent.click(await screen.findByRole("button", { name: "Cancel 2 matching runs" }));
  await screen.findByRole("dialog", { name: "Cancel 2 runs?" });
  expect(sentence()).toBe("This cancels the 2 pending or running runs matching the filters shown. Partial results are kept.");
  await fireEvent.click(screen.getByRole("button", { name: "Cancel" }));

  await fireEvent.click(screen.getByRole("button", { name: "Rerun 5 matching runs" }));
  await screen.findByRole("dialog", { name: "Rerun 5 runs?" });
  expect(sentence()).toBe("This reruns the 5 finished runs matching the filters shown, each as a new run over all its connections.");
});

it("says one run in the singular", async () => {
  serve({ cancel: 0, rerun: 1 });
  render(BulkRunActions, { filters: {}, ondone: () => undefined });

  await fireEvent.click(await screen.findByRole("button", { name: "Rerun 1 matching run" }));
  await screen.findByRole("dialog", { name: "Rerun 1 run?" });
  expect(sentence()).toBe("This reruns the 1 finished run matching the filters shown, each as a new run over all its connections.");
});
