import { resetDemo } from "./demo-api";
import { expect, test } from "./fixtures";
import { DEMO_CONNECTIONS } from "../../worker/sandbox/demo-connections";

test("an admin downloads the configuration, previews an edited document field by field and applies it", async ({ page, adminApi }) => {
  const exported = await adminApi.get("/api/config/export?format=json");
  expect(exported.ok()).toBe(true);
  const original = (await exported.json()) as { connections: Array<Record<string, unknown> & { name: string; debug: boolean }> };
  const demo = DEMO_CONNECTIONS[0]!;
  // Only the connections section: the other sections are left as they are.
  const edited = {
    version: 1,
    connections: original.connections.map((entry) => (entry.name === demo.name ? { ...entry, debug: !entry.debug } : entry)),
  };
  const before = original.connections.find((entry) => entry.name === demo.name)!.debug;

  try {
    await page.goto("/settings");
    const section = page.getByRole("region", { name: "Configuration as code" });
    const download = page.waitForEvent("download");
    await section.getByRole("button", { name: "Download YAML" }).click();
    expect((await download).suggestedFilename()).toMatch(/^outbound-sync-config-\d{4}-\d{2}-\d{2}\.yaml$/);

    await section.getByRole("textbox", { name: "Document" }).fill(JSON.stringify(edited, null, 2));
    await section.getByRole("button", { name: "Preview changes" }).click();
    await expect(section.getByRole("status")).toContainText("0 to create, 1 to change, 0 to delete");
    const change = section.getByRole("article", { name: `Would Update Connection ${demo.name}` });
    await expect(change.getByRole("row", { name: `debug ${before} ${!before}` })).toBeVisible();

    await section.getByRole("textbox", { name: "Change note" }).fill("Debug from a document");
    await section.getByRole("button", { name: "Apply" }).click();
    await expect(section.getByText("Applied: 0 created, 1 changed, 0 deleted.")).toBeVisible();

    const versions = (await (await adminApi.get(`/api/connections/${demo.id}/versions?limit=1`)).json()) as {
      data: Array<{ change_note: string | null; snapshot: { debug: boolean } }>;
    };
    expect(versions.data[0]).toMatchObject({ change_note: "Debug from a document", snapshot: { debug: !before } });
  } finally {
    const restored = await adminApi.post("/api/config/apply", { data: { document: { version: 1, connections: original.connections } } });
    expect(restored.ok(), await restored.text()).toBe(true);
    await resetDemo(adminApi);
  }
});
