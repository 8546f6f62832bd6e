import { DEMO_CREDENTIAL_ID, readRun, resetDemo, setSandboxLatency, startRun } from "./demo-api";
import { expect, test } from "./fixtures";
import { screenshot } from "./helpers";

test("a running run shows its time left, and the runs waiting behind it are canceled in bulk after a confirmation naming the count", async ({
  page,
  adminApi,
}) => {
  test.setTimeout(150_000);
  await resetDemo(adminApi);
  // A slow destination keeps the first run running, so the next two wait behind it as pending.
  await setSandboxLatency(adminApi, 300);
  const running = await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "full", mode: "dry" });
  try {
    const waiting = [
      await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "full", mode: "dry" }),
      await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "full", mode: "dry" }),
    ];

    await page.goto("/");
    const card = page.getByRole("region", { name: "Outbound runs" }).locator(`[data-run-id="${running.id}"]`);
    await expect(card.getByText(/^(about \d+ (h|min)( \d+ min)? left|less than a minute left)$/).first()).toBeVisible({ timeout: 45_000 });

    await page.goto(`/jobs?status=pending&credential=${DEMO_CREDENTIAL_ID}`);
    await page.getByRole("button", { name: "Cancel 2 matching runs" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel 2 runs?" });
    await expect(dialog).toContainText("This cancels the 2 pending or running runs matching the filters shown.");
    // Styled on a page loaded straight at /jobs too, where no form screen has loaded its CSS before.
    expect(await dialog.evaluate((d) => [getComputedStyle(d).borderTopLeftRadius, getComputedStyle(d).borderTopWidth])).toEqual(["8px", "1px"]);
    await screenshot(page, "jobs-bulk-cancel-confirmation");
    await dialog.getByRole("button", { name: "Cancel 2 runs" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Canceled 2 runs." })).toBeVisible();

    for (const run of waiting) expect((await readRun(adminApi, run.id)).status).toBe("canceled");
    expect((await readRun(adminApi, running.id)).status).toBe("running");
  } finally {
    await adminApi.post(`/api/runs/${running.id}/cancel`);
    await setSandboxLatency(adminApi, 0);
    await resetDemo(adminApi);
  }
});

test.describe("as a viewer", () => {
  test.use({ signedInAs: "viewer" });

  test("the Jobs page offers no bulk action", async ({ page }) => {
    await page.goto("/jobs");
    await expect(page.getByRole("heading", { name: "Outbound Sync Jobs" })).toBeVisible();
    await expect(page.getByRole("button", { name: /matching runs?$/ })).toHaveCount(0);
  });
});
