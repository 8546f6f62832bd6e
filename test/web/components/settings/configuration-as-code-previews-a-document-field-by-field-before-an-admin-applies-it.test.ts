import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import type { ConfigApplyResult, ConfigPlan } from "../../../../worker/schemas/config-as-code";
import { jsonResponse, makeErrorBody } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: ConfigAsCodeSettings } = await import("../../../../web/src/components/settings/ConfigAsCodeSettings.svelte");
const { ConfigAsCodeState } = await import("../../../../web/src/state/config-as-code.svelte");

const EXPORTED = "version: 1\nconnections:\n  - name: Device status (JSON)\n";

function makePlan(overrides: Partial<ConfigPlan> = {}): ConfigPlan {
  return {
    plan_id: "plan-1",
    summary: { create: 1, update: 2, delete: 1, unchanged: 4 },
    changes: [
      { kind: "credential", name: "Staging API", action: "create", fields: [{ path: "scheme", before: null, after: "bearer" }] },
      {
        kind: "connection",
        name: "Device status (JSON)",
        credential: "Demo fleet (sandbox)",
        action: "update",
        fields: [{ path: "config.limits.concurrency", before: 2, after: 5 }],
      },
      { kind: "alert_rule", name: "Ops / job_failed", action: "delete", fields: [] },
      { kind: "alert_channel", name: "Ops pager", renamed_from: "Ops", action: "update", fields: [{ path: "name", before: "Ops", after: "Ops pager" }] },
    ],
    secrets: [{ name: "STAGING_API_SECRET", used_by: ['credential "Staging API"'], required: true }],
    ...overrides,
  };
}

function serve(answers: { plan: () => Response; apply?: (body: Record<string, unknown>) => Response }) {
  const sent: Array<Record<string, unknown>> = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path === "/api/config/export") return new Response(EXPORTED, { headers: { "content-type": "text/yaml" } });
      const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
      sent.push({ path, ...body });
      if (path === "/api/config/plan") return answers.plan();
      if (path === "/api/config/apply" && answers.apply) return answers.apply(body);
      throw new Error(`unexpected request ${path}`);
    }),
  );
  return sent;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

it("loads the export, previews created, changed (before → after) and deleted entries, and applies with the secret and note", async () => {
  const applied: ConfigApplyResult = { ...makePlan(), generated_secrets: [] };
  const sent = serve({ plan: () => jsonResponse(makePlan()), apply: () => jsonResponse(applied) });
  render(ConfigAsCodeSettings, { props: { model: new ConfigAsCodeState(), lockedReason: null } });

  await fireEvent.click(screen.getByRole("button", { name: "Edit the current configuration here" }));
  const editor = screen.getByRole("textbox", { name: "Document" }) as HTMLTextAreaElement;
  await vi.waitFor(() => expect(editor.value).toBe(EXPORTED));
  await fireEvent.click(screen.getByRole("button", { name: "Preview changes" }));

  expect((await screen.findByRole("status")).textContent).toContain("1 to create, 2 to change, 1 to delete; 4 unchanged.");
  const changed = screen.getByRole("article", { name: "Would Update Connection Device status (JSON)" });
  expect(within(changed).getByRole("row", { name: "config.limits.concurrency 2 5" })).toBeTruthy();
  expect(screen.getByRole("article", { name: "Would Create Credential Staging API" })).toBeTruthy();
  expect(screen.getByRole("article", { name: "Would Delete Alert rule Ops / job_failed" })).toBeTruthy();
  const renamed = screen.getByRole("article", { name: "Would Update Alert channel Ops pager" });
  expect(within(renamed).getByRole("heading").textContent).toMatch(/Ops pager\s*\(renamed from Ops\)$/);

  await fireEvent.input(screen.getByLabelText("STAGING_API_SECRET"), { target: { value: "staging-token" } });
  await fireEvent.input(screen.getByRole("textbox", { name: "Change note" }), { target: { value: "Staging goes live" } });
  await fireEvent.click(screen.getByRole("button", { name: "Apply" }));

  expect(await screen.findByText("Applied: 1 created, 2 changed, 1 deleted.")).toBeTruthy();
  expect(sent.at(-1)).toEqual({
    path: "/api/config/apply",
    document: EXPORTED,
    format: "yaml",
    plan_id: "plan-1",
    secrets: { STAGING_API_SECRET: "staging-token" },
    change_note: "Staging goes live",
  });
});

it("names each invalid path, and asks for a new preview once the document is edited", async () => {
  let invalid = true;
  serve({
    plan: () =>
      invalid
        ? jsonResponse(
            makeErrorBody("validation_failed", "Invalid request body: connections[2].config.fetch.url: Invalid input", [
              { path: "connections[2].config.fetch.url", message: "Invalid input", in: "body" },
            ]),
            400,
          )
        : jsonResponse(makePlan({ summary: { create: 0, update: 0, delete: 0, unchanged: 7 }, changes: [], secrets: [] })),
  });
  const model = new ConfigAsCodeState();
  render(ConfigAsCodeSettings, { props: { model, lockedReason: null } });

  const editor = screen.getByRole("textbox", { name: "Document" });
  await fireEvent.input(editor, { target: { value: '{"version": 1}' } });
  await fireEvent.click(screen.getByRole("button", { name: "Preview changes" }));
  const alert = await screen.findByRole("alert");
  expect(alert.textContent).toContain("connections[2].config.fetch.url: Invalid input");

  invalid = false;
  await fireEvent.click(screen.getByRole("button", { name: "Preview changes" }));
  expect((await screen.findByRole("status")).textContent).toContain("No changes: the configuration already matches the document (7 unchanged).");
  expect(screen.queryByRole("button", { name: "Apply" })).toBeNull();
});

it("shows viewers and operators why, with no export, preview or apply", () => {
  render(ConfigAsCodeSettings, { props: { model: new ConfigAsCodeState(), lockedReason: "Needs the admin role; you are an operator." } });
  expect(screen.getByText(/Needs the admin role; you are an operator\./)).toBeTruthy();
  expect(screen.queryByRole("button", { name: "Download YAML" })).toBeNull();
  expect(screen.queryByRole("button", { name: "Apply" })).toBeNull();
  expect(screen.queryByRole("textbox", { name: "Document" })).toBeNull();
});
