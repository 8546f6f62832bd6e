import { describe, expect, it } from "vitest";
import { judgeAnomaly, MISSING_SPIKE_HINT, type AnomalyJob } from "../../../worker/alerts/anomaly-rules";
import { ORPHAN_RESOLVED_SUMMARY, planFanOut, type FanOutRule, type OpenIncident } from "../../../worker/alerts/fan-out";
import { connectionNeedsHistory, type JobHistory } from "../../../worker/alerts/job-conditions";
import type { JobFacts } from "../../../worker/alerts/payload";
import { fanOutInput, jobEvent, makeJob, makeRule, makeRun, slackChannel } from "../factories/alert-payloads";

let counter = 0;
function job(overrides: Partial<AnomalyJob> = {}): AnomalyJob {
  return {
    id: `job_${++counter}`,
    status: "completed",
    mode: "live",
    duration_ms: 100_000,
    in_scope: 1_000,
    updated: 50,
    would_update: 0,
    missing_destination: 20,
    ...overrides,
  };
}
// Newest first, as the fan-out loads them.
const history = (...jobs: Array<Partial<AnomalyJob>>) => jobs.map((j) => job(j));
const steady = (n: number, overrides: Partial<AnomalyJob> = {}) => Array.from({ length: n }, () => job(overrides));

describe("slow_run", () => {
  const past = history({ duration_ms: 90_000 }, { duration_ms: 100_000 }, { duration_ms: 110_000 }, { duration_ms: 120_000 }, { duration_ms: 80_000 });

  it("raises above factor × the median of recent successful runs of the same mode, and says the numbers", () => {
    const slow = judgeAnomaly("slow_run", {}, job({ duration_ms: 250_000 }), past);
    expect(slow).toEqual({
      anomalous: true,
      summary: "took 4m 10s, 2.5× the median 1m 40s of the last 5 successful live runs (alert above 2×)",
      hint: expect.stringContaining("throttled destination requests"),
    });
    expect(judgeAnomaly("slow_run", {}, job({ duration_ms: 200_000 }), past)?.anomalous).toBe(false);
    expect(judgeAnomaly("slow_run", { factor: 1.5 }, job({ duration_ms: 160_000 }), past)?.anomalous).toBe(true);
  });

  it("compares with the last `window` runs only, and not with failed, dry or single-serial runs", () => {
    const mixed = [
      job({ duration_ms: 300_000 }),
      job({ duration_ms: 5_000, status: "failed" }),
      job({ duration_ms: 10_000, mode: "dry" }),
      job({ duration_ms: 1_000, run_type: "single" }),
      job({ duration_ms: 300_000 }),
      job({ duration_ms: 300_000 }),
      ...steady(7, { duration_ms: 60_000 }),
    ];
    expect(judgeAnomaly("slow_run", { window: 3 }, job({ duration_ms: 400_000 }), mixed)?.anomalous).toBe(false);
    expect(judgeAnomaly("slow_run", { window: 10 }, job({ duration_ms: 400_000 }), mixed)?.anomalous).toBe(true);
  });

  it("has no opinion with fewer than 3 comparable runs, on a job that did not complete, or on a single-serial run", () => {
    expect(judgeAnomaly("slow_run", {}, job({ duration_ms: 900_000 }), past.slice(0, 2))).toBeNull();
    expect(judgeAnomaly("slow_run", {}, job({ duration_ms: 900_000, mode: "dry" }), past)).toBeNull();
    expect(judgeAnomaly("slow_run", {}, job({ duration_ms: 900_000, status: "failed" }), past)).toBeNull();
    expect(judgeAnomaly("slow_run", {}, job({ duration_ms: 900_000, run_type: "single" }), past)).toBeNull();
  });

  it("ignores the judged job when the history already holds it", () => {
    const current = job({ duration_ms: 250_000 });
    expect(judgeAnomaly("slow_run", {}, current, [current, ...past])?.summary).toContain("of the last 5 successful live runs");
  });
});

describe("volume_change", () => {
  const past = history({ in_scope: 1_000 }, { in_scope: 1_050 }, { in_scope: 980 }, { in_scope: 1_020 });

  it("raises when the count leaves the recent range widened by percent of each bound", () => {
    expect(judgeAnomaly("volume_change", {}, job({ in_scope: 1_300 }), past)).toEqual({
      anomalous: true,
      summary: "In scope 1,300, outside the usual 980–1,050 of the last 4 completed live runs (±20%: 784–1,260)",
      hint: expect.stringContaining("scope filter"),
    });
    expect(judgeAnomaly("volume_change", {}, job({ in_scope: 1_250 }), past)?.anomalous).toBe(false);
    expect(judgeAnomaly("volume_change", {}, job({ in_scope: 700 }), past)?.anomalous).toBe(true);
    expect(judgeAnomaly("volume_change", { percent: 0 }, job({ in_scope: 1_051 }), past)?.anomalous).toBe(true);
  });

  it("watches the chosen metric and compares with jobs of the same mode only", () => {
    const dry = history({ mode: "dry", would_update: 40 }, { mode: "dry", would_update: 60 }, { mode: "dry", would_update: 50 }, { would_update: 0 });
    const verdict = judgeAnomaly("volume_change", { metric: "would_update" }, job({ mode: "dry", would_update: 400 }), dry);
    expect(verdict).toMatchObject({ anomalous: true, summary: "Would Update 400, outside the usual 40–60 of the last 3 completed dry runs (±20%: 32–72)" });
    expect(judgeAnomaly("volume_change", { metric: "updated" }, job({ updated: 50 }), steady(3, { updated: 50 }))?.anomalous).toBe(false);
    expect(judgeAnomaly("volume_change", { metric: "updated" }, job({ updated: 0 }), steady(3, { updated: 50 }))?.anomalous).toBe(true);
  });

  it("has no opinion when the count is unknown", () => {
    expect(judgeAnomaly("volume_change", {}, job({ in_scope: null }), past)).toBeNull();
    expect(judgeAnomaly("volume_change", {}, job(), history({ in_scope: null }, { in_scope: null }, { in_scope: 3 }))).toBeNull();
  });
});

describe("missing_spike", () => {
  const past = history({ missing_destination: 20 }, { missing_destination: 30 }, { missing_destination: 24, mode: "dry" }, { missing_destination: 10 });

  it("raises when the missing-destination share jumps percent points over its median, with the seed's hint", () => {
    expect(judgeAnomaly("missing_spike", {}, job({ missing_destination: 300 }), past)).toEqual({
      anomalous: true,
      summary: "Missing Destination 300 of 1,000 in scope (30%), 27.8 points above the median 2.2% of the last 4 completed runs (alert at +20 points)",
      hint: MISSING_SPIKE_HINT,
    });
    expect(MISSING_SPIKE_HINT).toBe(
      "Lookup path does not expose serial fields consistently — review fetch contract endpoint and destination serial visibility",
    );
    expect(judgeAnomaly("missing_spike", {}, job({ missing_destination: 200 }), past)?.anomalous).toBe(false);
    expect(judgeAnomaly("missing_spike", { percent: 5 }, job({ missing_destination: 80 }), past)?.anomalous).toBe(true);
  });

  it("compares shares, not counts, so a larger fleet with the usual share is normal", () => {
    expect(judgeAnomaly("missing_spike", {}, job({ in_scope: 10_000, missing_destination: 250 }), past)?.anomalous).toBe(false);
    expect(judgeAnomaly("missing_spike", {}, job({ in_scope: 0, missing_destination: 0 }), past)).toBeNull();
  });
});

// Feeds a connection's finished jobs through the fan-out planner in order, each judged against the ones before it
// (newest first, as the ledger reads them), keeping incidents as the ledger does. Returns what each job sent.
// From the job at index `disabledFrom` on, the rule is disabled: the fan-out no longer gets it.
function replay(
  rule: FanOutRule,
  jobs: Array<Partial<JobFacts> & { status: "completed" | "failed"; run_type?: "full" | "single" }>,
  disabledFrom = Number.POSITIVE_INFINITY,
) {
  let open: OpenIncident[] = [];
  const history: JobHistory[] = [];
  return jobs.map(({ run_type: runType = "full", ...facts }, index) => {
    const job = makeJob({ error_code: null, error_message: null, error_http_status: null, error_hint: null, ...facts });
    const plan = planFanOut(
      fanOutInput({
        event: jobEvent(job, job.status),
        run: makeRun({ type: runType }),
        jobs: [job],
        channels: [slackChannel()],
        rules: index < disabledFrom ? [rule] : [],
        openIncidents: open,
        history,
      }),
    );
    for (const incident of plan.openIncidents) {
      open.push({ ...incident, channelId: rule.channelId, raisedAt: 1, condition: rule.condition, failureThreshold: 1, notifyRecovery: true });
    }
    open = open.filter((i) => !plan.resolveIncidents.some((r) => r.ruleId === i.ruleId));
    history.unshift({ ...job, mode: job.mode ?? null, run_type: runType });
    return plan.alertEvents.map((e) => `${e.payload.alert!.state}: ${e.payload.alert!.summary}`);
  });
}

describe("anomaly rules through the job fan-out", () => {
  it("slow_run raises once at the rule's severity, stays quiet while slow or failing, and resolves on the next normal completed run", () => {
    const done = (minutes: number) => ({ status: "completed" as const, duration_ms: minutes * 60_000 });
    const sent = replay(makeRule({ condition: "slow_run", severity: "warning", params: { factor: 2, window: 5 } }), [
      done(10),
      done(11),
      done(9),
      done(25),
      done(30),
      { status: "failed", duration_ms: 1_000 },
      done(10),
      done(10),
    ]);
    expect(sent).toEqual([
      [],
      [],
      [],
      ["warning: took 25m 0s, 2.5× the median 10m 0s of the last 3 successful live runs (alert above 2×)"],
      [],
      [],
      ["resolved: took 10m 0s, 0.9× the median 11m 0s of the last 5 successful live runs (alert above 2×)"],
      [],
    ]);
  });

  it("an incident whose rule was disabled resolves on the next completed job, still slow or not, and not on a failed one", () => {
    const done = (minutes: number) => ({ status: "completed" as const, duration_ms: minutes * 60_000 });
    const slow = makeRule({ condition: "slow_run", params: { factor: 2 } });
    const jobs = [done(10), done(11), done(9), done(25), { status: "failed" as const, duration_ms: 1_000 }, done(40), done(40)];
    const stillSlow = replay(slow, jobs, 4);
    expect(stillSlow.map((s) => s.map((line) => line.split(":")[0]))).toEqual([[], [], [], ["critical"], [], ["resolved"], []]);
    expect(stillSlow[5]![0]).toBe(`resolved: ${ORPHAN_RESOLVED_SUMMARY}`);

    // Back to normal: the resolve says how the job compares with its recent runs, as a watched rule's would.
    const normal = replay(slow, [...jobs.slice(0, 5), done(10)], 4);
    expect(normal[5]).toEqual(["resolved: took 10m 0s, 1× the median 10m 30s of the last 4 successful live runs (alert above 2×)"]);
  });

  it("loads a connection's recent runs when a rule watching it, or an open incident of it, is judged against them", () => {
    const rules = [makeRule({ condition: "job_failed" }), makeRule({ condition: "volume_change", connectionIds: ["conn_other"] })];
    const incident = (condition: OpenIncident["condition"], connectionId: string) => ({ condition, connectionId });
    expect(connectionNeedsHistory(rules, [incident("job_failed", "conn_a")], "conn_a")).toBe(false);
    expect(connectionNeedsHistory(rules, [], "conn_other")).toBe(true);
    expect(connectionNeedsHistory(rules, [incident("missing_spike", "conn_b")], "conn_a")).toBe(false);
    expect(connectionNeedsHistory(rules, [incident("missing_spike", "conn_a")], "conn_a")).toBe(true);
  });

  it("volume_change compares like with like: a dry run or a single-serial run neither raises nor resolves a live incident", () => {
    const live = (inScope: number) => ({ status: "completed" as const, in_scope: inScope });
    const sent = replay(makeRule({ condition: "volume_change" }), [
      live(1_000),
      live(1_020),
      live(990),
      { ...live(1), run_type: "single" },
      live(2_400),
      { ...live(1_000), mode: "dry" },
      live(1_010),
    ]);
    expect(sent.map((s) => s.map((line) => line.split(":")[0]))).toEqual([[], [], [], [], ["critical"], [], ["resolved"]]);
    expect(sent[4]![0]).toBe("critical: In scope 2,400, outside the usual 990–1,020 of the last 3 completed live runs (±20%: 792–1,224)");
  });
});
