import type { APIRequestContext } from "@playwright/test";
import type { RunDetail } from "../../web/src/lib/run-types";
import { DEMO_CREDENTIAL_ID, firstJob, startRun, waitForRun } from "./demo-api";
import { expect, test, type Page } from "./fixtures";
import { seriousViolations } from "./axe";
import { screenshot } from "./helpers";

interface Screen {
  name: string;
  heading: string;
  path: (runs: Runs) => string;
  // What to do once the page is there, before the check (open a folder, pick a tab).
  prepare?: (page: Page) => Promise<void>;
}

interface Runs {
  a: RunDetail;
  b: RunDetail;
}

let runs: Runs | null = null;

// Two finished single dry runs give every screen something to show.
async function demoRuns(api: APIRequestContext): Promise<Runs> {
  if (runs) return runs;
  const a = await waitForRun(api, (await startRun(api, { credential_id: DEMO_CREDENTIAL_ID, type: "single", serial: "DEV-00001", mode: "dry" })).id);
  const b = await waitForRun(api, (await startRun(api, { credential_id: DEMO_CREDENTIAL_ID, type: "single", serial: "DEV-00054", mode: "dry" })).id);
  runs = { a, b };
  return runs;
}

const SCREENS: readonly Screen[] = [
  { name: "dashboard", heading: "Dashboard", path: () => "/" },
  {
    name: "jobs-expanded",
    heading: "Outbound Sync Jobs",
    path: () => "/jobs",
    prepare: async (page) => {
      await page.getByRole("article").first().getByRole("button", { expanded: false }).click();
      await expect(page.getByRole("article").first().getByRole("progressbar").first()).toBeVisible();
    },
  },
  {
    name: "jobs-linked-run",
    heading: "Outbound Sync Jobs",
    path: ({ a }) => `/jobs?run=${a.id}`,
    prepare: async (page) => {
      await expect(page.getByRole("link", { name: "Device status (JSON)" })).toBeVisible();
    },
  },
  { name: "job-summary", heading: "Device status (JSON)", path: ({ a }) => `/jobs/${firstJob(a).id}` },
  {
    name: "job-records",
    heading: "Device status (JSON)",
    path: ({ a }) => `/jobs/${firstJob(a).id}?tab=records`,
    prepare: async (page) => {
      await expect(page.getByRole("row", { name: /DEV-00001/ })).toBeVisible();
    },
  },
  {
    name: "job-requests",
    heading: "Device status (JSON)",
    path: ({ a }) => `/jobs/${firstJob(a).id}?tab=requests&serial=DEV-00001`,
    prepare: async (page) => {
      await page
        .getByRole("button", { name: /^Details of request/ })
        .first()
        .click();
      await expect(page.getByRole("group", { name: "Retry DEV-00001" })).toBeVisible();
    },
  },
  {
    name: "job-logs",
    heading: "Device status (JSON)",
    path: ({ a }) => `/jobs/${firstJob(a).id}?tab=logs`,
    prepare: async (page) => {
      await page.getByLabel("Search the log").fill("run started");
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await expect(page.locator("mark").first()).toBeVisible();
    },
  },
  {
    name: "compare",
    heading: "Compare runs",
    path: ({ a, b }) => `/compare?a=${a.id}&b=${b.id}`,
    prepare: async (page) => {
      await expect(page.getByRole("heading", { name: "Serials whose outcome differs" })).toBeVisible();
      await expect(page.getByRole("row", { name: /DEV-00054/ }).first()).toBeVisible();
    },
  },
];

async function open(page: Page, api: APIRequestContext, screen: Screen): Promise<void> {
  await page.goto(screen.path(await demoRuns(api)));
  await expect(page.getByRole("heading", { level: 1, name: screen.heading })).toBeVisible();
  await screen.prepare?.(page);
  await expect(page.getByRole("status").filter({ hasText: /^\s*Loading/ })).toHaveCount(0);
}

async function fits(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, "page wider than the screen").toBeLessThanOrEqual(0);
}

for (const width of [1280, 390] as const) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: width === 390 ? 844 : 900 } });

    for (const screen of SCREENS) {
      test(`${screen.name} has no serious accessibility violations and fits the screen`, async ({ page, adminApi }) => {
        test.setTimeout(60_000);
        await open(page, adminApi, screen);
        expect(await seriousViolations(page)).toEqual([]);
        await fits(page);
        await screenshot(page, `monitoring-${screen.name}`);
      });
    }

    test.describe("signed out", () => {
      test.use({ signedInAs: null });

      test("sign-in has no serious accessibility violations and fits the screen", async ({ page }) => {
        await page.goto("/");
        await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
        expect(await seriousViolations(page)).toEqual([]);
        await fits(page);
        await screenshot(page, "monitoring-sign-in");
      });
    });
  });
}

test.describe("in the dark theme", () => {
  test.use({ colorScheme: "dark" });

  for (const screen of SCREENS) {
    test(`${screen.name} keeps readable contrast`, async ({ page, adminApi }) => {
      test.setTimeout(60_000);
      await open(page, adminApi, screen);
      expect(await seriousViolations(page, "contrast")).toEqual([]);
      await screenshot(page, `monitoring-${screen.name}-dark`);
    });
  }
});

test("the live-run confirmation passes axe too", async ({ page }) => {
  await page.goto("/");
  const outbound = page.getByRole("region", { name: "Outbound runs" });
  await outbound.getByLabel("Credential").selectOption(DEMO_CREDENTIAL_ID);
  await outbound.getByLabel("Live", { exact: true }).check();
  await outbound.getByRole("button", { name: "Run Full" }).click();
  const dialog = page.getByRole("dialog", { name: "Start a live Full run?" });
  await expect(dialog.getByText(/may write|not known/)).toBeVisible();

  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, "monitoring-live-confirmation");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
});
