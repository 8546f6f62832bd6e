import { expect, test } from "./fixtures";

test("creating a webhook channel shows its whsec_ signing secret once, with a copy button", async ({ page, adminApi }) => {
  const name = `Ops webhook ${Date.now()}`;
  await page.goto("/alerts");

  const form = page.getByRole("form", { name: "Create an alert channel" });
  await form.getByLabel("Channel").selectOption("webhook");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Endpoint URL").fill("https://hooks.example.com/outbound-sync");
  await form.getByRole("button", { name: "Create channel" }).click();

  const channel = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name }) });
  await expect(channel).toContainText("Webhook (custom)");
  const shown = channel.getByRole("region", { name: "Signing secret, shown once" });
  await expect(shown).toBeFocused();
  const secret = await shown.getByLabel("Signing secret").inputValue();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{20,}$/);
  await expect(shown.getByRole("button", { name: "Copy" })).toBeVisible();
  // Only the last characters are kept on the page once the secret is dismissed.
  const hint = `••••${secret.slice(-4)}`;
  await expect(channel.getByText(hint)).toBeVisible();

  await shown.getByRole("button", { name: "Done" }).click();
  await expect(channel.getByRole("region", { name: "Signing secret, shown once" })).toHaveCount(0);
  await page.reload();
  const reloaded = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name }) });
  await expect(reloaded.getByText(hint)).toBeVisible();
  await expect(page.getByText(secret)).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  // Deleted again through the page, so no other test's runs are delivered to it.
  await reloaded.getByRole("button", { name: `Delete ${name}` }).click();
  const dialog = page.getByRole("dialog", { name: `Delete ${name}?` });
  await dialog.getByRole("button", { name: "Delete channel" }).click();
  await expect(page.getByRole("heading", { name })).toHaveCount(0);
  const left = (await (await adminApi.get("/api/alerts/channels")).json()) as { data: Array<{ name: string }> };
  expect(left.data.map((entry) => entry.name)).not.toContain(name);
});
