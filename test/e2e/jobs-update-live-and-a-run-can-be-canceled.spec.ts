import { DEMO_CREDENTIAL_ID, readRun, resetDemo, setSandboxLatency, startRun } from "./demo-api";
import { expect, test } from "./fixtures";
import { screenshot } from "./helpers";

test("a running run's row moves on its own, and Cancel on the dashboard stops it", async ({ page, adminApi }) => {
  test.setTimeout(150_000);
  await resetDemo(adminApi);
  // The demo's own pace finishes a Full run in seconds; a slow destination keeps it running long enough to cancel.
  await setSandboxLatency(adminApi, 300);
  const run = await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "full", mode: "dry" });

  await page.goto("/jobs");
  const row = page.getByRole("article").filter({ has: page.locator(`#run-${run.id}-title`) });
  await expect(row.getByText("Running")).toBeVisible({ timeout: 30_000 });
  const progress = row.getByRole("progressbar");
  await expect(progress).toHaveAttribute("aria-valuetext", /^[1-9][\d,]* of/, { timeout: 30_000 });
  const before = await progress.getAttribute("aria-valuetext");
  await expect.poll(() => progress.getAttribute("aria-valuetext"), { timeout: 30_000 }).not.toBe(before);

  await row.getByRole("button", { expanded: false }).click();
  await expect(row.getByRole("link", { name: "Device status (JSON)" })).toBeVisible();
  await screenshot(page, "jobs-running-expanded");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  const card = page.getByRole("region", { name: "Outbound runs" }).locator(`[data-run-id="${run.id}"]`);
  await card.getByRole("button", { name: "Cancel run" }).click();
  await expect(card.getByText("Canceled").first()).toBeVisible({ timeout: 10_000 });
  expect((await readRun(adminApi, run.id)).status).toBe("canceled");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Outbound Sync Jobs" }).click();
  await expect(row.getByText("Canceled").first()).toBeVisible();
  await setSandboxLatency(adminApi, 0);
});
