import { DEMO_CREDENTIAL_ID, startRun, waitForRun } from "./demo-api";
import { expect, test } from "./fixtures";

test("filters go into the address, a bookmarked filter survives a reload, and back restores the previous one", async ({ page, adminApi }) => {
  test.setTimeout(90_000);
  const serial = "DEV-00002";
  await waitForRun(adminApi, (await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "single", serial, mode: "dry" })).id);
  await waitForRun(adminApi, (await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "single", serial: "DEV-00003", mode: "dry" })).id);

  await page.goto("/jobs");
  await page.getByLabel("Type").selectOption("single");
  await expect(page).toHaveURL(/\/jobs\?type=single$/);
  await page.getByLabel("Serial").fill(serial);
  await page.getByLabel("Serial").press("Enter");
  await expect(page).toHaveURL(`/jobs?type=single&serial=${serial}`);
  const rows = page.getByRole("article");
  await expect(rows.first()).toContainText(`Single · ${serial}`);
  for (const text of await rows.allTextContents()) expect(text).toContain(serial);
  // Above the runs, where the serial stands on each connection that decided it (the Single run ran all three).
  const standing = page.getByRole("region", { name: `${serial} on each connection now` });
  for (const name of ["Device status (JSON)", "Device status (XML)", "Fleet listing (HTTP source, bulk)"]) {
    await expect(standing.getByRole("link", { name, exact: true })).toHaveAttribute("href", /^\/connections\/conn_demo_\w+#section-serials$/);
  }

  // The bookmark: open the address afresh.
  await page.reload();
  await expect(page.getByLabel("Type")).toHaveValue("single");
  await expect(page.getByLabel("Serial")).toHaveValue(serial);
  await expect(rows.first()).toContainText(`Single · ${serial}`);

  await page.goBack();
  await expect(page).toHaveURL(/\/jobs\?type=single$/);
  await expect(page.getByLabel("Serial")).toHaveValue("");
  await expect(page.getByRole("article").filter({ hasText: "DEV-00003" }).first()).toBeVisible();

  await page.goForward();
  await expect(page.getByLabel("Serial")).toHaveValue(serial);
  await page.getByRole("button", { name: /Clear filters/ }).click();
  await expect(page).toHaveURL(/\/jobs$/);
  await expect(page.getByLabel("Type")).toHaveValue("");
});
