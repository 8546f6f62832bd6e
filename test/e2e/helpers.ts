import { expect, type Locator, type Page } from "@playwright/test";

// The counter tiles of one connection row: "Would Update 142".
export async function expectCounters(page: Page, scope: Locator, connection: string, counters: Record<string, number>, mode: "dry" | "live") {
  const group = scope.getByLabel(`${mode === "dry" ? "Dry run diagnostics" : "Counters"} for ${connection}`, { exact: true });
  for (const [label, value] of Object.entries(counters)) {
    const cell = group.locator("div").filter({ has: page.getByText(label, { exact: true }) });
    await expect(cell.locator("dd"), `${connection}: ${label}`).toHaveText(value.toLocaleString("en"));
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: `test-results/screens/${name}-${width}.png`, fullPage: true });
}
