import { expect, test } from "./fixtures";

test.use({ viewport: { width: 390, height: 844 } });

const NAV_ITEMS = [
  ["Dashboard", "Dashboard"],
  ["Outbound Sync Jobs", "Outbound Sync Jobs"],
  ["Connections", "Connections"],
  ["Credentials", "Credentials"],
  ["Alerts", "Alerts"],
  ["Settings", "Settings"],
] as const;

test("at 390 px every navigation item is reachable and nothing overflows the page", async ({ page }) => {
  await page.goto("/");
  const nav = page.getByRole("navigation", { name: "Main" });

  for (const [link, heading] of NAV_ITEMS) {
    await nav.getByRole("link", { name: link }).click();
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `page wider than the screen on ${heading}`).toBeLessThanOrEqual(0);
  }
});
