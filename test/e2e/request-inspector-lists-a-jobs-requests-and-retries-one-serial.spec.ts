import { DEMO_CREDENTIAL_ID, firstJob, resetDemo, startRun, waitForRun } from "./demo-api";
import { expect, test } from "./fixtures";
import { screenshot } from "./helpers";

test("a job's Requests tab lists its requests, filters by serial, expands one and retries that serial as a dry run", async ({ page, adminApi }) => {
  test.setTimeout(120_000);
  // Earlier specs' live runs advance the cursor; a reset makes this full run look every serial up again.
  await resetDemo(adminApi);
  const run = await waitForRun(
    adminApi,
    (await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "full", mode: "dry", connection_ids: ["conn_demo_json"] })).id,
  );
  const job = firstJob(run);

  await page.goto(`/jobs/${job.id}`);
  await page.getByRole("tab", { name: "Requests" }).click();
  await expect(page).toHaveURL(/tab=requests/);
  const table = page.getByRole("table");
  await expect(table.locator("tr.request").filter({ hasText: "/api/devices/DEV-" }).first()).toBeVisible();

  await page.getByLabel("Serial", { exact: true }).fill("DEV-00001");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/tab=requests&serial=DEV-00001/);
  // A dry run only looks the serial up: one GET.
  const lookup = table.locator("tr.request");
  await expect(lookup).toHaveCount(1);
  await expect(lookup).toContainText("Lookup");
  await expect(lookup).toContainText("GET");
  await expect(lookup).toContainText("/api/devices/DEV-00001");
  await expect(lookup).toContainText("200");

  await lookup.getByRole("button", { name: /^Details of request/ }).click();
  const details = page.locator("tr.details-row");
  await expect(details).toContainText("Response body");
  await expect(details.locator("pre").last()).toContainText("DEV-00001");
  await screenshot(page, "job-requests");

  await details.getByRole("group", { name: "Retry DEV-00001" }).getByRole("button", { name: "Dry" }).click();
  await expect(page).not.toHaveURL(new RegExp(job.id));
  await expect(page.getByRole("heading", { level: 1, name: "Device status (JSON)" })).toBeVisible();
  await expect(page.getByText("Single · DEV-00001")).toBeVisible();
});
