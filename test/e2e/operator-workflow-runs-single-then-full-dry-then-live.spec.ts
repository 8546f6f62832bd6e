import { DEMO_EXPECTATIONS } from "../../worker/sandbox/demo-data";
import { resetDemo } from "./demo-api";
import { expect, test } from "./fixtures";
import { expectCounters, screenshot } from "./helpers";

const CONNECTIONS = ["Device status (JSON)", "Device status (XML)", "Fleet listing (HTTP source, bulk)"] as const;
const full = DEMO_EXPECTATIONS.full_run;

// The seed's recommended operator workflow, from the dashboard: Single + Dry, Single + Live, Full + Dry, Full + Live.
test("the operator workflow runs from the dashboard and the card follows each run live", async ({ page, adminApi }) => {
  test.setTimeout(360_000);
  await resetDemo(adminApi);
  await page.goto("/");

  const outbound = page.getByRole("region", { name: "Outbound runs" });
  await outbound.getByLabel("Credential").selectOption({ label: "Demo fleet (sandbox)" });
  const card = outbound.locator("[data-run-id]");

  // 1. Single + Dry on one serial: every connection would update it.
  await outbound.getByLabel("Serial (Single)").fill("DEV-00001");
  await outbound.getByLabel("Dry run", { exact: true }).check();
  await outbound.getByRole("button", { name: "Run Single" }).click();
  await expect(card.getByText("Single · DEV-00001")).toBeVisible();
  await expect(card.getByText("Last run")).toBeVisible({ timeout: 30_000 });
  for (const connection of CONNECTIONS) {
    await expectCounters(page, card, connection, { "Would Update": 1, Skipped: 0, "Missing Source": 0, "Missing Destination": 0 }, "dry");
  }
  await screenshot(page, "workflow-single-dry");

  // 2. Single + Live: the confirmation repeats what the dry run found; the first connection writes it.
  const runId = await card.getAttribute("data-run-id");
  await outbound.getByLabel("Live", { exact: true }).check();
  await outbound.getByRole("button", { name: "Run Single" }).click();
  const dialog = page.getByRole("dialog", { name: "Start a live Single run?" });
  await expect(dialog).toContainText("The last dry run found 1 record to update on each of its 3 connections.");
  await dialog.getByRole("button", { name: "Start live run" }).click();
  await expect(dialog).toBeHidden();
  await expect(card).not.toHaveAttribute("data-run-id", runId ?? "");
  await expect(card.getByTitle("Live: writes to the destination").first()).toBeVisible();
  await expect(card.getByText("Last run")).toBeVisible({ timeout: 30_000 });
  await expectCounters(page, card, "Device status (JSON)", { Updated: 1, Failed: 0 }, "live");
  await expectCounters(page, card, "Device status (XML)", { Updated: 0, Skipped: 1 }, "live");

  // 3. Full + Dry: progress moves without a reload; the diagnostics match the demo (less the serial now in sync).
  await outbound.getByLabel("Dry run", { exact: true }).check();
  await outbound.getByRole("button", { name: "Run Full" }).click();
  await expect(card.getByText("Active run")).toBeVisible();
  const progress = card.getByRole("progressbar", { name: "Active run progress" });
  await expect(progress).toHaveAttribute("aria-valuetext", /[1-9][\d,]* of [\d,]+\+? in scope/, { timeout: 30_000 });
  const first = await progress.getAttribute("aria-valuetext");
  await expect.poll(() => progress.getAttribute("aria-valuetext"), { timeout: 30_000 }).not.toBe(first);
  await screenshot(page, "workflow-full-dry-running");
  await expect(card.getByText("Last run")).toBeVisible({ timeout: 150_000 });
  for (const connection of CONNECTIONS) {
    await expectCounters(
      page,
      card,
      connection,
      {
        "Would Update": full.would_update - 1,
        Skipped: full.skipped_no_change + 1,
        "Missing Source": full.missing_source,
        "Missing Destination": full.missing_destination,
      },
      "dry",
    );
  }
  await expect(progress).toHaveAttribute("aria-valuetext", "1,500 of 1,500 in scope");

  // 4. Full + Live: the confirmation counts from that dry run; the first connection writes, the others find nothing left.
  await outbound.getByLabel("Live", { exact: true }).check();
  await outbound.getByRole("button", { name: "Run Full" }).click();
  const liveDialog = page.getByRole("dialog", { name: "Start a live Full run?" });
  await expect(liveDialog).toContainText(`The last dry run found ${full.would_update - 1} records to update on each of its 3 connections.`);
  await liveDialog.getByRole("button", { name: "Start live run" }).click();
  await expect(card.getByText("Active run")).toBeVisible();
  await expect(card.getByText("Last run")).toBeVisible({ timeout: 150_000 });
  await expectCounters(
    page,
    card,
    "Device status (JSON)",
    { Updated: full.would_update - 1, Failed: 0, "Missing Destination": full.missing_destination },
    "live",
  );
  await expectCounters(page, card, "Device status (XML)", { Updated: 0, Skipped: full.skipped_no_change + full.would_update }, "live");
  await screenshot(page, "workflow-full-live");

  // The history shows all four, newest first.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Outbound Sync Jobs" }).click();
  await page.getByLabel("Credential").selectOption({ label: "Demo fleet (sandbox)" });
  await expect(page).toHaveURL(/credential=cred_demo_fleet/);
  const newest = page.getByRole("article").first();
  await expect(newest).toContainText("Full");
  await expect(newest).toContainText("Live");
  await expect(newest.getByText("Completed")).toBeVisible();
});
