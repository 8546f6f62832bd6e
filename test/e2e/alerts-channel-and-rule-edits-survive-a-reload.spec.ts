import { expect, test } from "./fixtures";

interface Created {
  id: string;
}

test("an admin renames a channel and changes its rule's threshold and scope, and sees both after a reload", async ({ page, adminApi }) => {
  const name = `Ops webhook ${Date.now()}`;
  const renamed = `${name} (on-call)`;
  const channel = (await (
    await adminApi.post("/api/alerts/channels", { data: { kind: "webhook", name, url: "https://hooks.example.com/outbound-sync" } })
  ).json()) as Created;
  await adminApi.post("/api/alerts/rules", { data: { channel_id: channel.id, failure_threshold: 1 } });

  try {
    await page.goto("/alerts");
    const item = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name, exact: true }) });
    await item.getByRole("button", { name: `Edit ${name}` }).click();
    const channelForm = page.getByRole("form", { name: `Edit ${name}` });
    await expect(channelForm.getByLabel("Name")).toBeFocused();
    await channelForm.getByLabel("Name").fill(renamed);
    await channelForm.getByRole("button", { name: "Save changes" }).click();
    await expect(page.getByRole("button", { name: `Edit ${renamed}` })).toBeFocused();

    const rules = page.getByRole("table", { name: "Alert rules" });
    await rules.getByRole("button", { name: `Edit the rule for ${renamed}` }).click();
    const ruleForm = page.getByRole("form", { name: `Edit the rule for ${renamed}` });
    await ruleForm.getByLabel("Alert after N consecutive failures").fill("2");
    await ruleForm.getByRole("radio", { name: "Chosen connections" }).check();
    await ruleForm.getByRole("checkbox", { name: /Device status \(JSON\)/ }).check();
    await ruleForm.getByRole("button", { name: "Save changes" }).click();
    await expect(rules.getByRole("button", { name: `Edit the rule for ${renamed}` })).toBeFocused();

    await page.reload();
    await expect(page.getByRole("heading", { name: renamed, exact: true })).toBeVisible();
    await expect(page.getByRole("heading", { name, exact: true })).toHaveCount(0);
    const row = page
      .getByRole("table", { name: "Alert rules" })
      .getByRole("row")
      .filter({ has: page.getByRole("rowheader", { name: renamed }) });
    await expect(row).toContainText("2 consecutive failures");
    await expect(row).toContainText("Device status (JSON)");
  } finally {
    // Deleted again, so no other test's runs are delivered to it.
    await adminApi.delete(`/api/alerts/channels/${channel.id}`);
  }
});
