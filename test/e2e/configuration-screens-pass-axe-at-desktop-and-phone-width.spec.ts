import { expect, test, type Page } from "./fixtures";
import { seriousViolations } from "./axe";
import { screenshot } from "./helpers";

const SCREENS = [
  { name: "connections", path: "/connections", heading: "Connections" },
  { name: "connection-editor", path: "/connections/conn_demo_json", heading: "Device status (JSON)" },
  { name: "connection-editor-http-source", path: "/connections/conn_demo_bulk", heading: "Fleet listing (HTTP source, bulk)" },
  { name: "connection-new", path: "/connections/new", heading: "New connection" },
  { name: "credentials", path: "/credentials", heading: "Credentials" },
  { name: "alerts", path: "/alerts", heading: "Alerts" },
  { name: "settings", path: "/settings", heading: "Settings" },
] as const;

async function open(page: Page, screen: (typeof SCREENS)[number]): Promise<void> {
  await page.goto(screen.path);
  await expect(page.getByRole("heading", { level: 1, name: screen.heading })).toBeVisible();
  // Loading states settle before the check: no "Loading …" left on the page.
  await expect(page.getByRole("status").filter({ hasText: /^\s*Loading/ })).toHaveCount(0);
}

for (const width of [1280, 390] as const) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: width === 390 ? 844 : 900 } });

    for (const screen of SCREENS) {
      test(`${screen.name} has no serious accessibility violations and fits the screen`, async ({ page }) => {
        await open(page, screen);

        expect(await seriousViolations(page)).toEqual([]);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, "page wider than the screen").toBeLessThanOrEqual(0);
        await screenshot(page, `config-${screen.name}`);
      });
    }
  });
}

test.describe("in the dark theme", () => {
  test.use({ colorScheme: "dark" });

  for (const screen of SCREENS) {
    test(`${screen.name} keeps readable contrast`, async ({ page }) => {
      await open(page, screen);

      expect(await seriousViolations(page, "contrast")).toEqual([]);
      await screenshot(page, `config-${screen.name}-dark`);
    });
  }
});

test("the connection editor after a test lookup passes axe too", async ({ page }) => {
  await open(page, SCREENS[1]);
  const panel = page.getByRole("region", { name: "Test lookup" });
  await panel.getByRole("button", { name: "Test lookup" }).click();
  await expect(panel.getByText("Found", { exact: true })).toBeVisible();

  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, "config-connection-editor-test-lookup");
});

test("the credentials screen after a test and an open edit form passes axe too", async ({ page }) => {
  await open(page, SCREENS[4]);
  const demo = page.getByRole("listitem").filter({ has: page.getByRole("heading", { level: 3, name: "Demo fleet (sandbox)" }) });
  const panel = demo.getByRole("region", { name: "Test authentication" });
  await panel.getByLabel("URL to call").fill(new URL("/sandbox/api/devices/DEV-00001", page.url()).href);
  await panel.getByRole("button", { name: "Test authentication" }).click();
  await expect(panel.getByText("Accepted.")).toBeVisible();
  await demo.getByRole("button", { name: "Edit Demo fleet (sandbox)" }).click();
  await expect(page.getByRole("form", { name: "Edit Demo fleet (sandbox)" })).toBeVisible();

  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, "config-credentials-test-and-edit");
});
