import { afterEach, beforeEach, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { exportQueueDepths } from "../../../worker/observability/queue-telemetry";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { call } from "../api/config-api";
import { configureSandbox, demoConfig, driveRun, makeCredentialWith, resetWorld, startRun } from "../factories";
import { installRecordingDestination, RECORDED, throughRecorder, type RecordingDestination } from "../runs/recording-destination";
import { attributesOf, installOtlpReceiver, metricsOf, RECEIVER, spansOf, type OtlpReceiver } from "./otlp-receiver";

const SLOW = { timeout: 60_000 };
const RECORDS = demoSourceDevices().slice(0, 30);
// The credential's bearer token is also the lane in every destination URL: the exported URLs must mask it.
const TOKEN = "s3cr3tLaneToken42";
const TEAM_KEY = "hcaik_team_key_0042";

let destination: RecordingDestination;
let receiver: OtlpReceiver;
beforeEach(async () => {
  await resetWorld();
  destination = installRecordingDestination();
  receiver = installOtlpReceiver();
  const saved = await call("PUT", "/api/settings", {
    body: { telemetry: { endpoint: RECEIVER, service_name: "sync-under-test", headers: [{ name: "x-honeycomb-team", value: TEAM_KEY }] } },
  });
  expect(saved.status).toBe(200);
});
afterEach(async () => {
  receiver.restore();
  destination.restore();
  await call("PUT", "/api/settings", { body: { telemetry: { endpoint: null, headers: [] } } });
});

async function liveRun() {
  // Every third request is refused with 429 first, so some requests are retried.
  await configureSandbox({ throttle_every: 3, retry_after_s: 0 });
  const { credentialId } = await makeCredentialWith([{ config: throughRecorder(demoConfig(0), TOKEN) }], RECORDS, TOKEN);
  return driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live" })).id);
}

it("exports the run as one trace (run, job, slices, request attempts) and its metrics, with the configured headers", SLOW, async () => {
  const run = await liveRun();
  expect(run.status).toBe("completed");
  // The last invocation's traces and metrics are sent side by side: both must be in.
  await receiver.until(
    (received) => spansOf(received).some((span) => span.name === "run") && metricsOf(received).some((m) => m.name === "outbound_sync.run.duration"),
  );

  for (const { path, headers } of receiver.received) {
    expect(["/otlp/v1/traces", "/otlp/v1/metrics"]).toContain(path);
    expect(headers["x-honeycomb-team"]).toBe(TEAM_KEY);
    expect(headers["content-type"]).toBe("application/json");
  }
  const resource = attributesOf(receiver.received[0]!.body[receiver.received[0]!.path.endsWith("traces") ? "resourceSpans" : "resourceMetrics"][0].resource);
  expect(resource["service.name"]).toBe("sync-under-test");

  const spans = spansOf(receiver.received);
  expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
  expect(spans[0].traceId).toMatch(/^[0-9a-f]{32}$/);
  const [root] = spans.filter((span) => span.name === "run");
  expect(root.parentSpanId).toBeUndefined();
  expect(attributesOf(root)).toMatchObject({ "outbound_sync.run.id": run.id, "outbound_sync.run.status": "completed", "outbound_sync.run.type": "full" });
  const jobs = spans.filter((span) => span.name === "job");
  expect(jobs).toHaveLength(1);
  expect(jobs[0].parentSpanId).toBe(root.spanId);
  expect(attributesOf(jobs[0])).toMatchObject({ "outbound_sync.job.id": run.jobs[0]!.id, "outbound_sync.records.updated": run.jobs[0]!.updated });
  const slices = spans.filter((span) => span.name === "slice");
  expect(slices.length).toBeGreaterThan(0);
  expect(slices.every((slice) => slice.parentSpanId === jobs[0].spanId)).toBe(true);

  const requests = spans.filter((span) => span.kind === 3);
  const sliceIds = new Set(slices.map((slice) => slice.spanId));
  expect(requests.every((request) => sliceIds.has(request.parentSpanId))).toBe(true);
  // One span per attempt the destination saw, each with its status and its place among the retries.
  expect(requests).toHaveLength(destination.requests.length);
  const attempts = requests.map(attributesOf);
  expect(attempts.map((a) => a["http.response.status_code"]).sort()).toEqual(destination.requests.map((r) => r.status).sort());
  const throttled = attempts.filter((a) => a["http.response.status_code"] === 429);
  expect(throttled.length).toBeGreaterThan(0);
  expect(attempts.some((a) => Number(a["http.request.resend_count"]) >= 1)).toBe(true);
  expect(requests.filter((r) => attributesOf(r)["http.response.status_code"] === 429).every((r) => r.status.code === 2)).toBe(true);
  for (const a of attempts) expect(String(a["url.full"])).toMatch(new RegExp(`^${RECORDED}/\\[redacted\\]/`));
  expect(JSON.stringify(receiver.received)).not.toContain(TOKEN);
  // Each attempt told the destination its place in the trace: the destination's spans join the run's under it.
  const sent = destination.requests.map((r) => r.traceparent);
  expect(sent.every((header) => header !== null && /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(header))).toBe(true);
  expect(new Set(sent.map((header) => header!.split("-")[1]))).toEqual(new Set([spans[0].traceId]));
  expect(sent.map((header) => header!.split("-")[2]).sort()).toEqual(requests.map((request) => request.spanId).sort());

  const metrics = new Map(metricsOf(receiver.received).map((m) => [m.name, m] as const));
  const all = (name: string) => metricsOf(receiver.received).filter((m) => m.name === name);
  expect([...metrics.keys()]).toEqual(
    expect.arrayContaining(["outbound_sync.records", "outbound_sync.requests", "outbound_sync.request.duration", "outbound_sync.run.duration"]),
  );
  const updated = all("outbound_sync.records")
    .flatMap((m) => m.sum.dataPoints)
    .filter((p: any) => attributesOf(p).action === "updated")
    .reduce((sum: number, p: any) => sum + Number(p.asInt), 0);
  expect(updated).toBe(run.jobs[0]!.updated);
  const byClass = all("outbound_sync.requests")
    .flatMap((m) => m.sum.dataPoints)
    .reduce((counts: Record<string, number>, p: any) => {
      const klass = String(attributesOf(p).status_class);
      counts[klass] = (counts[klass] ?? 0) + Number(p.asInt);
      return counts;
    }, {});
  expect(byClass["4xx"]).toBe(throttled.length);
  const observed = all("outbound_sync.request.duration")
    .flatMap((m) => m.histogram.dataPoints)
    .reduce((sum: number, p: any) => sum + Number(p.count), 0);
  expect(observed).toBe(requests.length);
  const runDuration = all("outbound_sync.run.duration").flatMap((m) => m.histogram.dataPoints);
  expect(runDuration).toHaveLength(1);
  expect(attributesOf(runDuration[0])).toMatchObject({ status: "completed", type: "full" });
});

it.each(["dead", "hang"] as const)("a %s endpoint neither fails nor holds up the run", SLOW, async (mode) => {
  receiver.mode = mode;
  const run = await liveRun();
  expect(run.status).toBe("completed");
  expect(run.jobs[0]!.processed).toBe(RECORDS.length);
  expect(run.jobs[0]!.failed).toBe(0);
  // The exports were tried (and are still open, for "hang"): the run finished without them.
  expect(receiver.attempts).toBeGreaterThan(0);
  expect(receiver.received).toHaveLength(0);
});

it("exports the backlogs as gauges at the minute tick, read only when export is on", async () => {
  await startRun({ type: "full", mode: "dry" });
  await exportQueueDepths(env);
  const gauges = metricsOf(receiver.received).filter((m) => m.name === "outbound_sync.queue.depth");
  expect(gauges).toHaveLength(1);
  const depth = Object.fromEntries(gauges[0].gauge.dataPoints.map((p: any) => [attributesOf(p).queue, Number(p.asInt)]));
  expect(Object.keys(depth).sort()).toEqual(["alert_events", "runs_pending", "runs_running"]);
  expect(depth.runs_running! + depth.runs_pending!).toBeGreaterThanOrEqual(1);

  await call("PUT", "/api/settings", { body: { telemetry: { endpoint: null, headers: [] } } });
  const before = receiver.attempts;
  await exportQueueDepths(env);
  expect(receiver.attempts).toBe(before);
});
