import { DEMO_CREDENTIAL_ID, startRun, waitForRun } from "./demo-api";
import { expect, test } from "./fixtures";

// Between the phone's cards (under 700 px) and a laptop, the widest tables used to push the whole page sideways.
test.use({ viewport: { width: 800, height: 1000 } });

const pageOverflow = (page: import("@playwright/test").Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test("at 800 px the connections list and a job's requests scroll inside their box, never the page", async ({ page, adminApi }) => {
  await page.goto("/connections");
  await expect(page.getByRole("link", { name: "Device status (JSON)" })).toBeVisible();
  expect(await pageOverflow(page), "connections page wider than the screen").toBeLessThanOrEqual(0);

  const run = await waitForRun(
    adminApi,
    (await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "single", serial: "DEV-00001", mode: "dry", connection_ids: ["conn_demo_json"] })).id,
  );
  await page.goto(`/jobs/${run.jobs[0]?.id}?tab=requests`);
  const table = page.getByRole("table", { name: /Every request the job sent/ });
  await expect(table.getByRole("button", { name: "Details" }).first()).toBeAttached();
  expect(await pageOverflow(page), "requests page wider than the screen").toBeLessThanOrEqual(0);
  // The table itself is wider than the screen: its box scrolls instead.
  expect(await table.evaluate((t) => t.parentElement!.scrollWidth > t.parentElement!.clientWidth)).toBe(true);
});
