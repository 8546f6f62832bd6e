import { expect, test } from "./fixtures";
import { DEMO_CREDENTIAL_ID, startRun, waitForRun } from "./demo-api";

interface Received {
  requests: Array<{ body: string }>;
}

// What a webhook receives is what Slack, email and PagerDuty link: the run_url of a run's status change opens that
// run, with its connections, in the dashboard a signed-in operator already has.
test("a run's status change links the run, and the link opens it on Outbound Sync Jobs", async ({ page, adminApi, server }) => {
  const inbox = `run-link-${Date.now()}`;
  const created = await adminApi.post("/api/alerts/channels", {
    data: { kind: "webhook", name: `Run links ${inbox}`, url: `${server.baseURL}/sandbox/_receiver/${inbox}`, event_types: ["run.status_changed"] },
  });
  expect(created.status(), await created.text()).toBe(201);
  const channel = (await created.json()) as { id: string };
  try {
    const run = await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "single", serial: "DEV-00007", mode: "dry" });
    await waitForRun(adminApi, run.id);

    let runUrl = "";
    await expect
      .poll(
        async () => {
          const received = (await (await adminApi.get(`/sandbox/_receiver/${inbox}`)).json()) as Received;
          const payloads = received.requests.map((request) => JSON.parse(request.body) as { run_id: string; status: string; run_url: string });
          runUrl = payloads.find((payload) => payload.run_id === run.id && payload.status === "completed")?.run_url ?? "";
          return runUrl;
        },
        { timeout: 30_000, intervals: [250] },
      )
      .not.toBe("");

    const link = new URL(runUrl);
    expect(link.pathname + link.search).toBe(`/jobs?run=${run.id}`);
    await page.goto(link.pathname + link.search);
    await expect(page.getByRole("heading", { name: `Run ${run.id}` })).toBeVisible();
    const connections = page.getByRole("region", { name: `Run ${run.id}` }).getByRole("link", { name: /^Device status \(JSON\)$/ });
    await expect(connections).toBeVisible();
    await page.getByRole("link", { name: "Show every run" }).click();
    await expect(page).toHaveURL(/\/jobs$/);
    await expect(page.getByRole("heading", { name: `Run ${run.id}` })).toHaveCount(0);
  } finally {
    await adminApi.delete(`/api/alerts/channels/${channel.id}`);
  }
});
