import { beforeEach, describe, expect, it } from "vitest";
import type { JobDetail, RecordOutcomePage } from "../../../worker/schemas/runs";
import { DEMO_SINGLE_SERIAL, demoExampleSerials } from "../../../worker/sandbox/demo-data";
import { api, DEMO_IDS, logsOf, resetWorld, runToEnd } from "../factories";

const SLOW = { timeout: 120_000 };
const UNKNOWN = "DEV-99999";

beforeEach(async () => {
  await resetWorld();
});

describe("a single run of a serial that no source holds", () => {
  it("records Missing Source with the reason, logs it, and diagnoses the source instead of the action rules", SLOW, async () => {
    // The JSON connection reads the dataset; the bulk one reads the HTTP source page by page.
    const run = await runToEnd({ type: "single", serial: UNKNOWN, mode: "dry", connection_ids: [DEMO_IDS.json, DEMO_IDS.bulk] });

    expect(run.status).toBe("completed");
    for (const job of run.jobs) {
      const records = await api<RecordOutcomePage>("GET", `/api/jobs/${job.id}/records`);
      expect(
        records.body.data.map((r) => [r.serial, r.action, r.error]),
        job.connection_name,
      ).toEqual([[UNKNOWN, "missing_source", `${UNKNOWN} is not in the source`]]);

      const logs = await logsOf(job.id);
      expect(logs.some((l) => l.level === "WARN" && l.message === `${UNKNOWN} is not in the source: nothing to look up or write`)).toBe(true);
      expect(
        logs.some((l) => l.message.includes("action rules")),
        job.connection_name,
      ).toBe(false);

      const detail = await api<JobDetail>("GET", `/api/jobs/${job.id}`);
      expect(detail.body.status).toBe("completed");
      expect(detail.body.diagnoses.map((d) => [d.code, d.label])).toEqual([["all_missing_source", "Missing Source"]]);
      expect(detail.body.diagnoses[0]!.hint).toMatch(/^Check that the serial is in the source/);
    }
  });

  it("says nothing of the kind for a serial the source holds", SLOW, async () => {
    const run = await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "dry", connection_ids: [DEMO_IDS.json] });

    const job = run.jobs[0]!;
    expect(job.diagnoses).toEqual([]);
    expect((await logsOf(job.id)).some((l) => l.message.includes("is not in the source"))).toBe(false);
  });

  it("names Missing Destination, not the action rules, for a serial the destination lacks", SLOW, async () => {
    const serial = demoExampleSerials().missing_destination;
    const run = await runToEnd({ type: "single", serial, mode: "dry", connection_ids: [DEMO_IDS.json] });

    const job = run.jobs[0]!;
    expect(job.diagnoses.map((d) => d.code)).toEqual(["all_missing_destination"]);
    expect((await logsOf(job.id)).some((l) => l.level === "WARN" && l.message.includes("Review fetch contract endpoint"))).toBe(true);
    expect((await logsOf(job.id)).some((l) => l.message.includes("action rules"))).toBe(false);
  });
});
