import { beforeEach, describe, expect, it } from "vitest";
import type { JobDetail, RunDetail } from "../../../worker/schemas/runs";
import { CLIENT_HEADER, DASHBOARD_CLIENT } from "../../../shared/client-header";
import { api, DEMO_IDS, makeToken, resetWorld } from "../factories";

const FROM_DASHBOARD = { [CLIENT_HEADER]: DASHBOARD_CLIENT };

let ada: Record<string, string>;
beforeEach(async () => {
  await resetWorld();
  ada = { authorization: `Bearer ${(await makeToken("operator", "Ada Lovelace")).token}` };
});

async function start(headers: Record<string, string>): Promise<RunDetail> {
  const res = await api<RunDetail>("POST", "/api/runs", { credential_id: DEMO_IDS.credential, type: "single", serial: "DEV-00001", mode: "dry" }, headers);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body;
}

describe("who started a run", () => {
  it("a run the dashboard starts is manual, with the signed-in person's name, in the list and the job detail", async () => {
    const run = await start({ ...ada, ...FROM_DASHBOARD });

    expect([run.trigger, run.requested_by]).toEqual(["manual", "Ada Lovelace"]);
    const job = await api<JobDetail>("GET", `/api/jobs/${run.jobs[0]!.id}`);
    expect(job.body.run).toMatchObject({ trigger: "manual", requested_by: "Ada Lovelace" });
  });

  it("a script calling the API with the same token stays api", async () => {
    const run = await start(ada);

    expect([run.trigger, run.requested_by]).toEqual(["api", "Ada Lovelace"]);
  });

  it("Sync Now from the dashboard is manual too, and from a script api", async () => {
    const fromDashboard = await api<RunDetail>("POST", `/api/connections/${DEMO_IDS.json}/sync`, undefined, { ...ada, ...FROM_DASHBOARD });
    const fromScript = await api<RunDetail>("POST", `/api/connections/${DEMO_IDS.xml}/sync`, undefined, ada);

    expect([fromDashboard.status, fromDashboard.body.trigger, fromDashboard.body.requested_by]).toEqual([202, "manual", "Ada Lovelace"]);
    expect([fromScript.status, fromScript.body.trigger]).toEqual([202, "api"]);
  });
});
