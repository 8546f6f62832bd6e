import { expect, test } from "./fixtures";

const CLIENT = { client_id: "crm-sync", client_secret: "crm-client-secret-1", token_ttl_s: 3600, rotate_refresh_tokens: true };

test("an admin creates a refresh-token credential, connects it at the provider and comes back to a kept refresh token", async ({ page, adminApi, baseURL }) => {
  const name = `CRM app ${Date.now()}`;
  // The sandbox plays the provider: it approves at once, as if the person clicked Allow.
  await adminApi.put("/sandbox/_config", { data: { oauth: CLIENT } });
  try {
    await page.goto("/credentials");
    const form = page.getByRole("form", { name: "Create a credential" });
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("Scheme").selectOption("oauth2_refresh_token");
    await form.getByLabel("Token URL").fill(`${baseURL}/sandbox/oauth/token`);
    await form.getByLabel("Client ID").fill(CLIENT.client_id);
    await form.getByLabel("Client authentication").selectOption("body");
    await form.getByLabel("Authorize URL (optional)").fill(`${baseURL}/sandbox/oauth/authorize`);
    await expect(form.getByText(`${baseURL}/api/oauth/callback`)).toBeVisible();
    await form.getByLabel("Client secret").fill(CLIENT.client_secret);
    await form.getByRole("button", { name: "Create credential" }).click();

    const item = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name, level: 3 }) });
    await expect(item).toContainText("Not connected");
    await item.getByRole("button", { name: `Connect ${name}` }).click();

    // To the provider and back: the page says how it went and the address keeps none of it.
    await expect(page.getByRole("status").filter({ hasText: `Connected "${name}": its refresh token is saved.` })).toBeVisible();
    expect(new URL(page.url()).search).toBe("");
    const connected = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name, level: 3 }) });
    await expect(connected).toContainText(/Refresh token\s*••••\w+, set just now/);
    await expect(connected.getByRole("button", { name: `Connect ${name} again` })).toBeVisible();

    // Test authentication refreshes with it; the provider rotates it and the list says so after a reload.
    await connected.getByRole("button", { name: "Test authentication" }).click();
    await expect(connected).toContainText(/expires in/i);
    await page.reload();
    await expect(page.getByRole("listitem").filter({ has: page.getByRole("heading", { name, level: 3 }) })).toContainText("rotated by the provider");
  } finally {
    await adminApi.put("/sandbox/_config", { data: { oauth: null } });
    const listed = (await (await adminApi.get("/api/credentials?limit=500")).json()) as { data: Array<{ id: string; name: string }> };
    for (const credential of listed.data.filter((entry) => entry.name === name)) await adminApi.delete(`/api/credentials/${credential.id}`);
  }
});
