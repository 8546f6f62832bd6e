import { DEMO_CREDENTIAL_ID, resetDemo, startRun, waitForRun } from "./demo-api";
import { expect, test } from "./fixtures";
import { screenshot } from "./helpers";

// "Dry run, review, apply": the live run sends exactly what the reviewed dry run planned.
test("a reviewed dry run is applied from its job page and Compare shows Would Update became Updated", async ({ page, adminApi }) => {
  test.setTimeout(120_000);
  await resetDemo(adminApi);
  try {
    const dry = await waitForRun(
      adminApi,
      (await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "single", serial: "DEV-00001", mode: "dry", connection_ids: ["conn_demo_json"] }))
        .id,
    );
    const dryJob = dry.jobs[0];
    expect(dryJob?.would_update).toBe(1);

    // Review: the dry job's records say what would change.
    await page.goto(`/jobs/${dryJob?.id}?tab=records`);
    await expect(page.getByRole("row", { name: /DEV-00001/ })).toContainText("Would Update");

    // Apply: the confirmation names the connection and its count.
    await page.getByRole("button", { name: "Apply this dry run" }).click();
    const dialog = page.getByRole("dialog", { name: "Apply this dry run?" });
    await expect(dialog.getByRole("row", { name: /Device status \(JSON\)/ })).toContainText("1");
    await expect(dialog).toContainText("The plan expires");
    await dialog.getByRole("button", { name: "Write 1 record" }).click();

    // The apply run's job opens, names the dry run it applies, and completes.
    await expect(page).not.toHaveURL(new RegExp(`/jobs/${dryJob?.id}`));
    await expect(page.getByRole("heading", { level: 1, name: "Device status (JSON)" })).toBeVisible();
    await expect(page.getByRole("note")).toContainText("Applies dry run");
    await expect(page.getByText("Completed", { exact: true }).first()).toBeVisible({ timeout: 60_000 });
    await screenshot(page, "apply-job");

    // Compare with plan: the planned serial went from Would Update to Updated.
    await page.getByRole("link", { name: "Compare with plan" }).click();
    await expect(page).toHaveURL(new RegExp(`/compare\\?a=${dry.id}&b=`));
    const planned = page.getByRole("region", { name: "Planned serials" });
    const row = planned.getByRole("row", { name: /DEV-00001/ });
    await expect(row).toContainText("Would Update");
    await expect(row).toContainText("Updated");
    await screenshot(page, "compare-with-plan");

    // The dry run cannot be applied twice.
    await page.goto(`/jobs/${dryJob?.id}`);
    await expect(page.getByRole("button", { name: "Apply this dry run" })).toBeDisabled();
    await expect(page.getByRole("link", { name: "Open the apply run" })).toBeVisible();
  } finally {
    // The apply wrote DEV-00001: later specs expect the demo fleet as seeded.
    await resetDemo(adminApi);
  }
});
