import { expect, test, type Page } from "./fixtures";
import { createFleet, type TestFleet } from "./factories";

let fleet: TestFleet | null = null;

test.afterEach(async () => {
  await fleet?.remove();
  fleet = null;
});

function fleetTable(page: Page, credentialName: string) {
  return page.getByRole("region", { name: new RegExp(`^${credentialName}`) }).getByRole("table");
}

async function names(page: Page, credentialName: string): Promise<string[]> {
  return fleetTable(page, credentialName).getByRole("rowheader").getByRole("link").allTextContents();
}

test("Move up and Move down reorder the execution order, one request per move, from the keyboard too", async ({ page, adminApi, server }) => {
  fleet = await createFleet(adminApi, server.baseURL, "order", ["Alpha", "Bravo", "Charlie"]);
  const credential = fleet.credential.name;
  const orderRequests: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().endsWith("/connections/order")) orderRequests.push(request.url());
  });
  await page.goto("/connections");
  await expect.poll(() => names(page, credential)).toEqual(["Alpha", "Bravo", "Charlie"]);

  await page.getByRole("button", { name: "Move Charlie up" }).click();

  await expect.poll(() => names(page, credential)).toEqual(["Alpha", "Charlie", "Bravo"]);
  expect(orderRequests).toHaveLength(1);
  // Focus stays on the moved row's button, so Enter moves it again.
  await expect(page.getByRole("button", { name: "Move Charlie up" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect.poll(() => names(page, credential)).toEqual(["Charlie", "Alpha", "Bravo"]);
  expect(orderRequests).toHaveLength(2);
  await expect(page.getByRole("button", { name: "Move Charlie up" })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Move Charlie down" })).toBeFocused();
  await expect(page.getByRole("status").filter({ hasText: "Moved Charlie to position 1 of 3." })).toBeAttached();

  await page.reload();
  await expect.poll(() => names(page, credential)).toEqual(["Charlie", "Alpha", "Bravo"]);
  const positions = await fleetTable(page, credential).locator("tbody td:first-child").allTextContents();
  expect(positions.map(Number)).toEqual([1, 2, 3]);
});

test("the dry-run switch turns a connection's dry run off and records the change", async ({ page, adminApi, server }) => {
  fleet = await createFleet(adminApi, server.baseURL, "dry run", ["Delta"]);
  await page.goto("/connections");
  const toggle = page.getByRole("switch", { name: "Dry run for Delta" });
  await expect(toggle).toHaveAttribute("aria-checked", "true");
  await expect(toggle).toContainText("Dry run on");

  await toggle.click();

  await expect(toggle).toHaveAttribute("aria-checked", "false");
  await expect(toggle).toContainText("Dry run off");
  await page.reload();
  await expect(page.getByRole("switch", { name: "Dry run for Delta" })).toHaveAttribute("aria-checked", "false");

  await page.getByRole("link", { name: "Delta", exact: true }).click();
  await expect(page.getByRole("checkbox", { name: "Dry run" })).not.toBeChecked();
  const newest = page.getByRole("region", { name: "History of configuration changes" }).getByRole("listitem").first();
  await expect(newest).toContainText("Version 2");
  await expect(newest).toContainText("Dry run off");
  await expect(newest.getByRole("row", { name: /^dry_run/ })).toContainText("false");
});

test.describe("as a viewer", () => {
  test.use({ signedInAs: "viewer" });

  test("reordering and the dry-run switch are disabled, with the reason shown", async ({ page }) => {
    await page.goto("/connections");

    await expect(page.getByText("Viewer tokens cannot configure: this needs the admin role.").first()).toBeVisible();
    await expect(page.getByRole("switch", { name: "Dry run for Device status (JSON)" })).toBeDisabled();
    await expect(page.getByRole("button", { name: "Move Device status (XML) up" })).toBeDisabled();
    await expect(page.getByRole("link", { name: "New connection" })).toHaveCount(0);
  });
});
