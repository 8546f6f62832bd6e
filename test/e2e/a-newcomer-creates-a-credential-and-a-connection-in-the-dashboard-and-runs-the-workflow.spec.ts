import type { APIRequestContext } from "@playwright/test";
import type { ConnectionSummary, Credential, Page as ApiPage } from "../../worker/schemas/types";
import { DEMO_EXPECTATIONS, DEMO_FIELD_RULES, DEMO_SINGLE_SERIAL } from "../../worker/sandbox/demo-data";
import { resetDemo } from "./demo-api";
import { expect, test, type Page } from "./fixtures";
import { expectCounters, screenshot } from "./helpers";

const CREDENTIAL = "E2E Fleet API (bearer)";
const CONNECTION = "Device status (E2E)";
const TOKEN = "e2e-fleet-token-5d1c";
const full = DEMO_EXPECTATIONS.full_run;

// Setup and cleanup go through the API; everything the newcomer does goes through the dashboard.
async function sandboxToken(api: APIRequestContext, token: string | null): Promise<void> {
  expect((await api.put("/sandbox/_config", { data: { auth_token: token } })).ok()).toBe(true);
}

async function removeWhatTheTestCreated(api: APIRequestContext): Promise<void> {
  const connections = (await (await api.get("/api/connections?limit=500")).json()) as ApiPage<ConnectionSummary>;
  for (const connection of connections.data.filter((c) => c.credential_name === CREDENTIAL)) await api.delete(`/api/connections/${connection.id}`);
  const credentials = (await (await api.get("/api/credentials?limit=500")).json()) as ApiPage<Credential>;
  for (const credential of credentials.data.filter((c) => c.name === CREDENTIAL)) await api.delete(`/api/credentials/${credential.id}`);
}

async function fillMapping(page: Page): Promise<void> {
  const mapping = page.getByRole("region", { name: "Mapping" });
  for (const [index, rule] of DEMO_FIELD_RULES.entries()) {
    if (index > 0) await mapping.getByRole("button", { name: "Add field rule" }).click();
    const group = mapping.getByRole("group", { name: new RegExp(`^Rule ${index + 1} `) });
    await group.getByLabel("Source path").fill(rule.source ?? "");
    await group.getByLabel("Destination path").fill(rule.destination);
    await group.getByLabel("Formatter").selectOption(rule.formatter);
    if (rule.required) await group.getByLabel("Required (absent → Missing Source)").check();
    const map = rule.options?.map;
    if (map)
      await group.getByLabel("Enum table").fill(
        Object.entries(map)
          .map(([from, to]) => `${from} = ${String(to)}`)
          .join("\n"),
      );
  }
}

test("a credential and a connection made in the dashboard alone run Single + Dry, Single + Live, Full + Dry, Full + Live", async ({
  page,
  adminApi,
  baseURL,
}) => {
  test.setTimeout(300_000);
  const sandbox = `${baseURL}/sandbox`;
  await resetDemo(adminApi);
  await removeWhatTheTestCreated(adminApi);
  // The destination now wants this bearer token: the runs below succeed only if the credential sends it.
  await sandboxToken(adminApi, TOKEN);
  try {
    await page.goto("/");
    const nav = page.getByRole("navigation", { name: "Main" });

    // 1. The credential, tested against the destination before anything uses it.
    await nav.getByRole("link", { name: "Credentials" }).click();
    const create = page.getByRole("form", { name: "Create a credential" });
    await create.getByLabel("Name").fill(CREDENTIAL);
    await create.getByLabel("Scheme").selectOption({ label: "Bearer token" });
    await create.getByLabel("Token").fill(TOKEN);
    await create.getByRole("button", { name: "Create credential" }).click();
    await expect(page.getByRole("status").filter({ hasText: `Created the credential "${CREDENTIAL}".` })).toBeVisible();
    const item = page.getByRole("listitem").filter({ has: page.getByRole("heading", { level: 3, name: CREDENTIAL }) });
    await expect(item.getByText("••••5d1c")).toBeVisible();
    const authTest = item.getByRole("region", { name: "Test authentication" });
    await authTest.getByLabel("URL to call").fill(`${sandbox}/api/devices/${DEMO_SINGLE_SERIAL}`);
    await authTest.getByRole("button", { name: "Test authentication" }).click();
    await expect(authTest.getByText("Accepted.")).toBeVisible();
    await expect(authTest.getByText(/HTTP 200 in \d+ ms/)).toBeVisible();
    await expect(authTest.getByLabel("Response excerpt")).toContainText(`"serial":"${DEMO_SINGLE_SERIAL}"`);

    // 2. The connection: an HTTP source (the sandbox's source API), lookup and update against the sandbox destination.
    await nav.getByRole("link", { name: "Connections" }).click();
    await page.getByRole("link", { name: "New connection" }).first().click();
    await expect(page.getByRole("heading", { level: 1, name: "New connection" })).toBeVisible();
    await page.getByRole("combobox", { name: "Credential", exact: true }).selectOption({ label: CREDENTIAL });
    await page.getByRole("region", { name: "General" }).getByLabel("Name", { exact: true }).fill(CONNECTION);
    const source = page.getByRole("region", { name: "Source contract" });
    await source.getByLabel("Source kind").selectOption("http");
    await source.getByLabel("Source URL (GET)").fill(`${sandbox}/source/devices?per_page=100`);
    await source.getByLabel("Path to the record array").fill("devices");
    await source.getByLabel("Pagination").selectOption("link");
    const lookup = page.getByRole("region", { name: "Fetch contract" });
    await lookup.getByLabel("URL template (GET)").fill(`${sandbox}/api/devices/{serial}`);
    await lookup.getByLabel("Path to the record", { exact: true }).fill("device");
    await page.getByRole("region", { name: "Update API contract" }).getByLabel("URL template", { exact: true }).fill(`${sandbox}/api/devices/{serial}`);
    await fillMapping(page);
    const limits = page.getByRole("region", { name: "Limits" });
    await limits.getByLabel("Requests per second").fill("50");
    await limits.getByLabel("Concurrency (1–6)").fill("4");
    await page.getByRole("button", { name: "Create connection" }).click();
    await expect(page.getByRole("heading", { level: 1, name: CONNECTION })).toBeVisible();
    await expect(page.getByRole("link", { name: `${CREDENTIAL} (manage credentials)` })).toBeVisible();

    // 3. The four-step workflow from the dashboard's run form.
    await nav.getByRole("link", { name: "Dashboard" }).click();
    const outbound = page.getByRole("region", { name: "Outbound runs" });
    await outbound.getByLabel("Credential").selectOption({ label: CREDENTIAL });
    const card = outbound.locator("[data-run-id]");

    await outbound.getByLabel("Serial (Single)").fill(DEMO_SINGLE_SERIAL);
    await outbound.getByLabel("Dry run", { exact: true }).check();
    await outbound.getByRole("button", { name: "Run Single" }).click();
    await expect(card.getByText(`Single · ${DEMO_SINGLE_SERIAL}`)).toBeVisible();
    await expect(card.getByText("Last run")).toBeVisible({ timeout: 30_000 });
    await expectCounters(page, card, CONNECTION, { "Would Update": 1, Skipped: 0, "Missing Source": 0, "Missing Destination": 0 }, "dry");

    const singleDry = await card.getAttribute("data-run-id");
    await outbound.getByLabel("Live", { exact: true }).check();
    await outbound.getByRole("button", { name: "Run Single" }).click();
    await page.getByRole("dialog", { name: "Start a live Single run?" }).getByRole("button", { name: "Start live run" }).click();
    await expect(card).not.toHaveAttribute("data-run-id", singleDry ?? "");
    await expect(card.getByText("Last run")).toBeVisible({ timeout: 30_000 });
    await expectCounters(page, card, CONNECTION, { Updated: 1, Failed: 0 }, "live");

    const singleLive = await card.getAttribute("data-run-id");
    await outbound.getByLabel("Dry run", { exact: true }).check();
    await outbound.getByRole("button", { name: "Run Full" }).click();
    await expect(card).not.toHaveAttribute("data-run-id", singleLive ?? "");
    await expect(card.getByText("Last run")).toBeVisible({ timeout: 120_000 });
    await expectCounters(
      page,
      card,
      CONNECTION,
      {
        "Would Update": full.would_update - 1,
        Skipped: full.skipped_no_change + 1,
        "Missing Source": full.missing_source,
        "Missing Destination": full.missing_destination,
      },
      "dry",
    );

    const fullDry = await card.getAttribute("data-run-id");
    await outbound.getByLabel("Live", { exact: true }).check();
    await outbound.getByRole("button", { name: "Run Full" }).click();
    await page.getByRole("dialog", { name: "Start a live Full run?" }).getByRole("button", { name: "Start live run" }).click();
    await expect(card).not.toHaveAttribute("data-run-id", fullDry ?? "");
    await expect(card.getByText("Last run")).toBeVisible({ timeout: 120_000 });
    await expectCounters(
      page,
      card,
      CONNECTION,
      { Updated: full.would_update - 1, Failed: 0, "Missing Source": full.missing_source, "Missing Destination": full.missing_destination },
      "live",
    );
    await screenshot(page, "newcomer-full-live");
  } finally {
    await sandboxToken(adminApi, null);
    await resetDemo(adminApi);
    await removeWhatTheTestCreated(adminApi);
  }
});
