import { expect, test } from "./fixtures";

test("the dashboard shows the worker's health and the demo connections", async ({ page }) => {
  await page.goto("/");

  await expect(page).toHaveTitle("Dashboard · Outbound Sync");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();

  const status = page.getByRole("region", { name: "System status" });
  await expect(status.getByText("All systems operational")).toBeVisible();
  await expect(status.getByText(/^Reachable · \d+ ms$/)).toBeVisible();
  await expect(status.getByText(/\d+ applied/)).toBeVisible();
  await expect(status.getByRole("definition").filter({ hasText: /^On$/ })).toBeVisible();

  const connections = page.getByRole("region", { name: "Connections" });
  await expect(connections.getByText("3", { exact: true })).toBeVisible();
  await connections.getByRole("link", { name: "View connections" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Connections" })).toBeVisible();
});

test("the connections page lists the demo credential's connections in execution order", async ({ page }) => {
  await page.goto("/connections");

  const rows = page.getByRole("table").first().getByRole("row");
  await expect(rows).toHaveCount(4);
  const positions = await rows.locator("td:first-child").allTextContents();
  const numbers = positions.map(Number);
  expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  await expect(page.getByText(/^Dry run (on|off)$/).first()).toBeVisible();
});
