import { expect, test } from "./fixtures";

test("an admin creates an API token, sees it once, and revokes it", async ({ page, server }) => {
  const name = `ci-nightly-${Date.now()}`;
  await page.goto("/settings");
  const tokens = page.getByRole("region", { name: "API tokens" });

  await tokens.getByLabel("Token name").fill(name);
  await tokens.getByLabel("Role").selectOption("operator");
  await tokens.getByRole("button", { name: "Create token" }).click();

  const shown = tokens.getByRole("region", { name: "API token, shown once" });
  const token = await shown.getByLabel("API token").inputValue();
  expect(token).toMatch(/^osk_o_[0-9a-z]{32}$/);
  const row = tokens.getByRole("row", { name: new RegExp(name) });
  await expect(row).toContainText(`${token.slice(0, 12)}…`);
  await expect(row).toContainText("operator");
  await expect(row).toContainText("Active");
  const works = await fetch(`${server.baseURL}/api/runs?limit=1`, { headers: { authorization: `Bearer ${token}` } });
  expect(works.status).toBe(200);

  await shown.getByRole("button", { name: "Done" }).click();
  await expect(tokens.getByRole("region", { name: "API token, shown once" })).toHaveCount(0);
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await page
    .getByRole("dialog", { name: `Revoke ${name}?` })
    .getByRole("button", { name: "Revoke token" })
    .click();

  await expect(row).toContainText("Revoked");
  await expect(row.getByRole("button", { name: `Revoke ${name}` })).toHaveCount(0);
  const refused = await fetch(`${server.baseURL}/api/runs?limit=1`, { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status).toBe(401);
});

test("the retention plan changes between Professional, Enterprise and a custom number of days", async ({ page, adminApi }) => {
  await page.goto("/settings");
  const retention = page.getByRole("region", { name: "Job history retention" });
  await expect(retention.getByRole("radio", { name: /Professional/ })).toBeChecked();
  await expect(retention.getByText("30 days (professional)")).toBeVisible();

  try {
    await retention.getByRole("radio", { name: /Enterprise/ }).check();
    await retention.getByRole("button", { name: "Save retention plan" }).click();
    await expect(retention.getByText("Retention plan saved: history older than 90 days is purged daily.")).toBeVisible();
    await expect(retention.getByText("90 days (enterprise)")).toBeVisible();
    await page.reload();
    await expect(retention.getByRole("radio", { name: /Enterprise/ })).toBeChecked();

    await retention.getByRole("radio", { name: /Custom/ }).check();
    const days = retention.getByLabel("Days of history (1–3650)");
    await days.fill("0");
    await retention.getByRole("button", { name: "Save retention plan" }).click();
    await expect(days).toHaveAttribute("aria-invalid", "true");
    await days.fill("45");
    await retention.getByRole("button", { name: "Save retention plan" }).click();
    await expect(retention.getByText("45 days (custom)")).toBeVisible();
  } finally {
    // Other tests expect the default plan.
    await adminApi.put("/api/settings", { data: { retention: { plan: "professional" } } });
  }
});

test.describe("as an operator", () => {
  test.use({ signedInAs: "operator" });

  test("settings are read-only and tokens are not listed, with the reason shown", async ({ page }) => {
    await page.goto("/settings");

    await expect(page.getByRole("radio", { name: /Professional/ })).toBeDisabled();
    await expect(page.getByRole("button", { name: "Save retention plan" })).toBeDisabled();
    const tokens = page.getByRole("region", { name: "API tokens" });
    await expect(tokens.getByText("Operator tokens cannot configure: this needs the admin role.")).toBeVisible();
    await expect(tokens.getByRole("button", { name: "Create token" })).toHaveCount(0);
  });
});
