import { expect, test } from "./fixtures";
import { createFleet, type TestFleet } from "./factories";

let fleet: TestFleet | null = null;

test.afterEach(async () => {
  await fleet?.remove();
  fleet = null;
});

test("editing a connection saves a new version, and the history shows who changed what", async ({ page, adminApi, server }) => {
  fleet = await createFleet(adminApi, server.baseURL, "editor", ["Device status (editor)"]);
  const [connection] = fleet.connections;
  await page.goto(`/connections/${connection!.id}`);
  await expect(page.getByRole("heading", { level: 1, name: "Device status (editor)" })).toBeVisible();
  await expect(page.getByText(/· version 1$/)).toBeVisible();

  await page.getByLabel("Request timeout (ms)").fill("12000");
  await page.getByRole("checkbox", { name: "Debug logging" }).check();
  await page.getByLabel("Change note (optional)").fill("Slower destination");
  await page.getByRole("button", { name: "Save changes" }).click();

  await expect(page.getByRole("status").filter({ hasText: "Saved as version 2." })).toBeVisible();
  await expect(page.getByText(/· version 2$/)).toBeVisible();
  const history = page.getByRole("region", { name: "History of configuration changes" });
  const newest = history.getByRole("listitem").first();
  await expect(newest).toContainText("Version 2");
  await expect(newest).toContainText("by e2e-admin");
  await expect(newest).toContainText("Slower destination");
  const diff = newest.getByRole("table", { name: "Changes from version 1 to version 2" });
  await expect(diff.getByRole("row", { name: /config\.limits\.timeout_ms/ })).toContainText("10000");
  await expect(diff.getByRole("row", { name: /config\.limits\.timeout_ms/ })).toContainText("12000");
  await expect(diff.getByRole("row", { name: /^debug/ })).toContainText("true");
  await expect(diff.getByRole("row")).toHaveCount(3);
  await expect(history.getByRole("listitem").nth(1)).toContainText("Version 1");

  // The saved configuration is what a reload shows.
  await page.reload();
  await expect(page.getByLabel("Request timeout (ms)")).toHaveValue("12000");
  await expect(page.getByRole("checkbox", { name: "Debug logging" })).toBeChecked();
});

test("a fetch URL template with two problems is refused, with both of the API's errors at that field", async ({ page, adminApi, server }) => {
  fleet = await createFleet(adminApi, server.baseURL, "invalid", ["Device status (invalid)"]);
  const [connection] = fleet.connections;
  await page.goto(`/connections/${connection!.id}`);

  const template = page.getByLabel("URL template (GET)");
  // No {serial}, and {id} where only {serial} is available: two problems of one field.
  await template.fill(`${server.baseURL}/sandbox/api/devices/{id}`);
  await page.getByRole("button", { name: "Save changes" }).click();

  await expect(template).toHaveAttribute("aria-invalid", "true");
  await expect(template).toHaveAccessibleDescription(/unknown placeholder \{id\}.*URL template must contain \{serial\}/);
  const summary = page.getByRole("alert").filter({ hasText: "Not saved: 1 field needs attention" });
  await expect(summary).toBeFocused();
  await expect(summary.getByRole("link", { name: "config.fetch.url_template" })).toHaveCount(2);
  await summary.getByRole("link", { name: "config.fetch.url_template" }).first().click();
  await expect(template).toBeFocused();

  // Nothing was written: still version 1, and the stored template still has {serial}.
  await page.reload();
  await expect(page.getByText(/· version 1$/)).toBeVisible();
  await expect(page.getByLabel("URL template (GET)")).toHaveValue(/\{serial\}$/);
});

test("test lookup of DEV-00001 shows the request, its status, the raw response and the resolved record", async ({ page }) => {
  await page.goto("/connections/conn_demo_json");
  const panel = page.getByRole("region", { name: "Test lookup" });

  await panel.getByLabel("Serial").fill("DEV-00001");
  await panel.getByRole("button", { name: "Test lookup" }).click();

  await expect(panel.getByText("Found", { exact: true })).toBeVisible();
  await expect(panel.getByText(/^GET http:\/\/.*\/sandbox\/api\/devices\/DEV-00001$/)).toBeVisible();
  await expect(panel.getByText(/^HTTP 200 · \d+ ms/)).toBeVisible();
  await expect(panel.getByLabel("Raw response")).toContainText('"serial":"DEV-00001"');
  await expect(panel.getByLabel("Resolved record")).toContainText('"serial": "DEV-00001"');
});
