import { createWrongMethodConnection } from "./demo-api";
import { expect, test } from "./fixtures";
import { screenshot } from "./helpers";

test("a job that fails on a wrong update method shows the seed's hint, its ERROR log line, a rerun and the failing serial on its connection", async ({
  page,
  adminApi,
}) => {
  test.setTimeout(120_000);
  // Restored fleet data, so the serial has something to write and reaches the update call.
  expect((await adminApi.post("/sandbox/_reset")).ok()).toBe(true);
  const { credentialId, connectionId } = await createWrongMethodConnection(adminApi);

  await page.goto("/");
  const outbound = page.getByRole("region", { name: "Outbound runs" });
  await outbound.getByLabel("Credential").selectOption(credentialId);
  await outbound.getByLabel("Serial (Single)").fill("DEV-00001");
  await outbound.getByLabel("Live", { exact: true }).check();
  await outbound.getByRole("button", { name: "Run Single" }).click();
  const dialog = page.getByRole("dialog", { name: "Start a live Single run?" });
  await expect(dialog).toContainText("There is no dry run of this scope yet");
  await dialog.getByRole("button", { name: "Start live run" }).click();

  const card = outbound.locator("[data-run-id]");
  await expect(card.getByText("Last run")).toBeVisible({ timeout: 60_000 });
  await expect(card.locator('[data-status="failed"]').first()).toBeVisible();
  await expect(card).toContainText("Hint: Verify method in Update API Contract");

  // From the history: failed runs, expand the folder, open the connection's job.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Outbound Sync Jobs" }).click();
  await page.getByLabel("Status", { exact: true }).selectOption("failed");
  await expect(page).toHaveURL(/status=failed/);
  const folder = page.getByRole("article").filter({ hasText: "Wrong method" }).first();
  await folder.getByRole("button", { expanded: false }).click();
  await folder.getByRole("link", { name: "Device status (wrong method)" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Device status (wrong method)" })).toBeVisible();
  const error = page.getByRole("region", { name: /Failed: 405/ });
  await expect(error).toContainText("method_not_allowed");
  await expect(error).toContainText("Hint: Verify method in Update API Contract");
  await expect(error.getByRole("link", { name: "Device status (wrong method)" })).toHaveAttribute("href", `/connections/${connectionId}`);
  await expect(page.getByText("Records Failed")).toBeVisible();
  await screenshot(page, "job-failed-summary");

  await page.getByRole("tab", { name: "Logs" }).click();
  await expect(page).toHaveURL(/tab=logs/);
  const errorLine = page.locator(".line.level-ERROR").first();
  await expect(errorLine).toContainText("405");
  await expect(errorLine).toHaveCSS("color", "rgb(255, 138, 148)");

  await page.getByRole("button", { name: "Rerun failed" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Rerun started" })).toBeVisible();

  // The connections list leads to the serials failing on it now, across runs, and from there back to the job.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Connections" }).click();
  await page.getByRole("link", { name: "Failing serials of Device status (wrong method)" }).click();
  await expect(page).toHaveURL(`/connections/${connectionId}?serials=failed#section-serials`);
  const serials = page.getByRole("region", { name: "Serials" });
  await expect(serials.getByRole("button", { name: "Failed 1" })).toHaveAttribute("aria-pressed", "true");
  await expect(serials.getByRole("heading", { name: "Serials" })).toBeInViewport();
  const row = serials.getByRole("row").filter({ hasText: "DEV-00001" });
  await expect(row).toContainText("Failed");
  await row.getByRole("link", { name: "Job that recorded DEV-00001" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Device status (wrong method)" })).toBeVisible();
});
