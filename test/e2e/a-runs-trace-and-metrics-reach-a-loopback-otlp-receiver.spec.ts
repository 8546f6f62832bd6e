import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { DEMO_CREDENTIAL_ID, resetDemo, startRun, waitForRun } from "./demo-api";
import { expect, test } from "./fixtures";

// The whole path as a collector sees it: the running worker, its telemetry setting, and a real HTTP receiver on
// 127.0.0.1 that decodes the OTLP/HTTP JSON that arrives.

interface Arrived {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

interface KeyValue {
  key: string;
  value: { stringValue?: string };
}

const spanNames = (body: unknown): string[] =>
  ((body as { resourceSpans?: { scopeSpans: { spans: { name: string }[] }[] }[] }).resourceSpans ?? []).flatMap((r) =>
    r.scopeSpans.flatMap((s) => s.spans.map((span) => span.name)),
  );
const metricNames = (body: unknown): string[] =>
  ((body as { resourceMetrics?: { scopeMetrics: { metrics: { name: string }[] }[] }[] }).resourceMetrics ?? []).flatMap((r) =>
    r.scopeMetrics.flatMap((s) => s.metrics.map((metric) => metric.name)),
  );
const serviceNames = (body: unknown): string[] =>
  ((body as { resourceSpans?: { resource: { attributes: KeyValue[] } }[] }).resourceSpans ?? []).flatMap((r) =>
    r.resource.attributes.filter((a) => a.key === "service.name").map((a) => a.value.stringValue ?? ""),
  );

test("a run's trace and metrics reach a loopback OTLP receiver with the configured header", async ({ adminApi }) => {
  const arrived: Arrived[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      arrived.push({ path: req.url ?? "", headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((listening) => receiver.listen(0, "127.0.0.1", listening));
  const { port } = receiver.address() as AddressInfo;
  try {
    const saved = await adminApi.put("/api/settings", {
      data: { telemetry: { endpoint: `http://127.0.0.1:${port}`, service_name: "e2e-otel", headers: [{ name: "x-otel-key", value: "e2e-secret" }] } },
    });
    expect(saved.ok(), await saved.text()).toBe(true);

    const run = await startRun(adminApi, { credential_id: DEMO_CREDENTIAL_ID, type: "single", serial: "DEV-00001", mode: "dry" });
    expect((await waitForRun(adminApi, run.id)).status).toBe("completed");

    await expect.poll(() => arrived.flatMap((a) => (a.path === "/v1/traces" ? spanNames(a.body) : [])), { timeout: 20_000 }).toContain("run");
    const traces = arrived.filter((a) => a.path === "/v1/traces");
    expect(traces.flatMap((a) => spanNames(a.body))).toEqual(expect.arrayContaining(["run", "job", "slice"]));
    expect(traces.flatMap((a) => serviceNames(a.body))).toContain("e2e-otel");
    for (const request of arrived) {
      expect(request.headers["content-type"]).toContain("application/json");
      expect(request.headers["x-otel-key"]).toBe("e2e-secret");
    }
    await expect
      .poll(() => arrived.flatMap((a) => (a.path === "/v1/metrics" ? metricNames(a.body) : [])), { timeout: 20_000 })
      .toContain("outbound_sync.records");
  } finally {
    await adminApi.put("/api/settings", { data: { telemetry: { endpoint: null, service_name: "outbound-sync", headers: [] } } });
    await new Promise<void>((closed) => receiver.close(() => closed()));
    await resetDemo(adminApi);
  }
});
