import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";

// Serious and critical axe violations on the page, one line each. A theme changes colours and nothing
// else, so a second theme's pass asks axe for contrast alone (the rest was checked in the first theme).
export async function seriousViolations(page: Page, only: "everything" | "contrast" = "everything"): Promise<string[]> {
  const builder = new AxeBuilder({ page });
  if (only === "contrast") builder.withRules(["color-contrast"]);
  const results = await builder.analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
}
