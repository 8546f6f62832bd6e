import { DEMO_CREDENTIAL_ID, startRun, waitForRun } from "./demo-api";
import { expect, test } from "./fixtures";
import { screenshot } from "./helpers";

test("comparing two runs shows counters side by side and the serials whose outcome differs", async ({ page, adminApi }) => {
  test.setTimeout(90_000);
  // One serial that would update, one whose source lacks a required field (Missing Source).
  const a = await waitForRun(adminApi, (await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "single", serial: "DEV-00001", mode: "dry" })).id);
  const b = await waitForRun(adminApi, (await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "single", serial: "DEV-00030", mode: "dry" })).id);

  await page.goto("/jobs?type=single&mode=dry");
  for (const run of [a, b]) {
    await page
      .getByRole("article")
      .filter({ has: page.locator(`#run-${run.id}-title`) })
      .getByRole("checkbox", { name: /Compare/ })
      .check();
  }
  await page.getByRole("link", { name: "Compare selected runs" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Compare runs" })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/compare\\?a=${a.id}&b=${b.id}$`));
  const counters = page.getByRole("table", { name: "Device status (JSON)" });
  await expect(counters.getByRole("row", { name: /Would Update/ })).toContainText(/1\s*0/);
  await expect(counters.getByRole("row", { name: /Missing Source/ })).toContainText(/0\s*1/);

  const differences = page.getByRole("region", { name: "Serials whose outcome differs" });
  await expect(differences.getByRole("row", { name: /DEV-00001/ }).first()).toContainText("Would Update");
  await expect(differences.getByRole("row", { name: /DEV-00030/ }).first()).toContainText("Missing Source");
  await screenshot(page, "compare");

  await page.getByRole("button", { name: "Swap A and B" }).click();
  await expect(page).toHaveURL(new RegExp(`/compare\\?a=${b.id}&b=${a.id}$`));
});
