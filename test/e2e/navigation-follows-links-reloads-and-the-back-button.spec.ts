import { expect, test } from "./fixtures";

const PAGES = [
  { link: "Dashboard", heading: "Dashboard", path: "/" },
  { link: "Outbound Sync Jobs", heading: "Outbound Sync Jobs", path: "/jobs" },
  { link: "Connections", heading: "Connections", path: "/connections" },
  { link: "Credentials", heading: "Credentials", path: "/credentials" },
  { link: "Alerts", heading: "Alerts", path: "/alerts" },
  { link: "Settings", heading: "Settings", path: "/settings" },
] as const;

test("every page is reached through the main navigation", async ({ page }) => {
  await page.goto("/");
  const nav = page.getByRole("navigation", { name: "Main" });
  // At a laptop's 1280 px the links and the session's tools share one row, and the current page's bold label
  // moves no link: the header is the same on every page.
  const headers = new Set<string>();

  for (const target of [...PAGES].reverse()) {
    await nav.getByRole("link", { name: target.link }).click();
    await expect(page.getByRole("heading", { level: 1, name: target.heading })).toBeVisible();
    await expect(page).toHaveURL(target.path);
    await expect(page).toHaveTitle(`${target.heading} · Outbound Sync`);
    await expect(nav.getByRole("link", { name: target.link })).toHaveAttribute("aria-current", "page");
    await expect(nav.locator("[aria-current]")).toHaveCount(1);
    const links = await nav.getByRole("link").evaluateAll((all) => all.map((link) => `${Math.round(link.getBoundingClientRect().x)}`));
    const signOut = (await page.getByRole("button", { name: "Sign out" }).boundingBox())!;
    const navBox = (await nav.boundingBox())!;
    expect(signOut.y, "the session's tools wrapped under the navigation").toBeLessThan(navBox.y + navBox.height);
    headers.add(links.join(","));
  }
  expect(headers.size).toBe(1);
});

test("a deep link survives a reload", async ({ page }) => {
  await page.goto("/connections");
  await expect(page.getByRole("heading", { level: 1, name: "Connections" })).toBeVisible();

  await page.reload();

  await expect(page.getByRole("heading", { level: 1, name: "Connections" })).toBeVisible();
  await expect(page).toHaveTitle("Connections · Outbound Sync");
});

test("back and forward move between visited pages without reloading", async ({ page }) => {
  await page.goto("/");
  const nav = page.getByRole("navigation", { name: "Main" });
  await page.evaluate(() => Object.assign(window, { __sameDocument: true }));

  await nav.getByRole("link", { name: "Alerts" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Alerts" })).toBeVisible();
  await nav.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();

  await page.goBack();
  await expect(page.getByRole("heading", { level: 1, name: "Alerts" })).toBeVisible();
  await expect(page).toHaveURL("/alerts");
  await page.goBack();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await page.goForward();
  await expect(page.getByRole("heading", { level: 1, name: "Alerts" })).toBeVisible();

  expect(await page.evaluate(() => "__sameDocument" in window)).toBe(true);
});

test("an unknown path shows page not found with a way home", async ({ page }) => {
  await page.goto("/no-such-page");

  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
  await expect(page).toHaveTitle("Page not found · Outbound Sync");
  await page.getByRole("link", { name: "Go to the dashboard" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
});

test("the keyboard reaches the content through the skip link", async ({ page }) => {
  await page.goto("/jobs");

  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await page.keyboard.press("Enter");

  await expect(page.getByRole("main")).toBeFocused();
});
