import { expect, test } from "./fixtures";

test.use({ signedInAs: null });

test("sign-in checks the token and returns to the page that was asked for", async ({ page, server }) => {
  await page.goto("/jobs?status=completed");

  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await expect(page).toHaveTitle("Sign in · Outbound Sync");
  await expect(page.getByText("npm start")).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);

  const field = page.getByLabel("API token");
  await field.fill("not-a-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("osk_");

  await field.fill("osk_a_00000000000000000000000000000000");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("not recognised");

  await field.fill(server.tokens.admin);
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Outbound Sync Jobs" })).toBeVisible();
  await expect(page).toHaveURL(/\/jobs\?status=completed$/);
  await expect(page.getByLabel("Status", { exact: true })).toHaveValue("completed");
  const header = page.getByRole("banner");
  await expect(header.getByText("e2e-admin")).toBeVisible();
  await expect(header.getByText("Admin", { exact: true })).toBeVisible();

  // A reload keeps the session (session storage), signing out ends it.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Outbound Sync Jobs" })).toBeVisible();
  await header.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
});

test("a viewer sees the run controls disabled with the reason", async ({ page, server }) => {
  await page.goto("/");
  await page.getByLabel("API token").fill(server.tokens.viewer);
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page.getByRole("banner").getByText("Viewer", { exact: true })).toBeVisible();
  const outbound = page.getByRole("region", { name: "Outbound runs" });
  // The card's Apply this dry run (when its last run is a dry run) gives the same reason: each control names its own.
  const reason = "Viewer tokens cannot run and cancel: this needs the operator role.";
  for (const name of ["Run Single", "Run Full"]) {
    await expect(outbound.getByRole("button", { name })).toBeDisabled();
    await expect(outbound.getByRole("button", { name })).toHaveAccessibleDescription(reason);
  }
  await expect(outbound.locator("#run-why")).toBeVisible();
});

test("a token the server stops accepting sends the person back to sign-in, keeping the page", async ({ page }) => {
  await page.goto("/");
  // A well-formed token this server never issued: the first API call answers 401.
  await page.evaluate(() => {
    sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_11111111111111111111111111111111", role: "operator", name: "gone" }));
  });
  await page.goto("/jobs?type=full");

  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Your session ended" })).toBeVisible();
  await expect(page).toHaveURL(/\/jobs\?type=full$/);
});

test("a pasted token is cleaned up, and a malformed one is told what is wrong", async ({ page, server }) => {
  await page.goto("/");
  const field = page.getByLabel("API token");
  await field.fill(server.tokens.admin.slice(0, 20));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("cut short");

  await field.fill(`  Bearer ${server.tokens.admin}\n`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("region", { name: "Outbound runs" })).toBeVisible();
});

test("a token revoked during the session lands on sign-in with the API's reason", async ({ page, adminApi }) => {
  const created = await adminApi.post("/api/tokens", { data: { name: "soon revoked", role: "operator" } });
  expect(created.status()).toBe(201);
  const { id, token } = (await created.json()) as { id: string; token: string };

  await page.goto("/jobs?type=full");
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Outbound Sync Jobs" })).toBeVisible();
  await expect(page.getByRole("banner").getByText("Live", { exact: true })).toBeVisible();

  // Revoking closes the token's live socket (1008); nothing on the page is touched.
  expect((await adminApi.delete(`/api/tokens/${id}`)).ok()).toBe(true);

  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Your session ended" })).toContainText(/"soon revoked" was revoked on \d{4}-/);
  await expect(page).toHaveURL(/\/jobs\?type=full$/);
});

test("the dashboard is served with its browser defences and runs under them without a policy violation", async ({ page, server }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) violations.push(message.text());
  });
  page.on("pageerror", (error) => violations.push(error.message));

  // A deep link is answered by the single-page fallback: it must carry the same headers as "/".
  for (const path of ["/", "/jobs"]) {
    const headers = (await page.request.get(path)).headers();
    expect(headers["content-security-policy"]).toContain("default-src 'self'");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["content-security-policy"]).toContain("connect-src 'self'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(headers["x-frame-options"]).toBe("DENY");
  }

  await page.goto("/");
  await page.getByLabel("API token").fill(server.tokens.admin);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("region", { name: "Outbound runs" })).toBeVisible();
  // The live feed is a WebSocket to this origin, which connect-src 'self' must allow.
  await expect(page.getByRole("banner").getByText("Live", { exact: true })).toBeVisible();
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toMatch(/^(light|dark)$/);
  expect(violations).toEqual([]);
});
