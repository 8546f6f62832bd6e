import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Settings } from "../../../worker/schemas/types";
import { CONFIG_SETTING_KEYS } from "../../../worker/ledger/config-settings";
import { call, errorOf } from "./config-api";

const S3 = {
  target: "s3",
  endpoint: "https://s3.eu-west-1.amazonaws.com",
  bucket: "sync-logs",
  region: "eu-west-1",
  access_key_id: "AKIAEXAMPLE",
};

describe("/api/settings", () => {
  it("starts on the professional plan (30 days) without log export", async () => {
    const res = await call<Settings>("GET", "/api/settings", { as: "viewer" });
    expect(res.status).toBe(200);
    expect(res.body.retention).toEqual({ plan: "professional", custom_days: null, days: 30 });
    expect(res.body.log_export).toEqual({ target: "none" });
    expect(res.body.plans).toEqual({ ttl_hours: 24 });
  });

  it("lets an admin set how long a dry run can be applied, within 1–720 hours", async () => {
    const saved = await call<Settings>("PUT", "/api/settings", { body: { plans: { ttl_hours: 48 } } });
    expect(saved.status).toBe(200);
    expect(saved.body.plans).toEqual({ ttl_hours: 48 });
    for (const ttl_hours of [0, 721, 1.5]) {
      const refused = await call("PUT", "/api/settings", { body: { plans: { ttl_hours } } });
      expect(errorOf(refused).details!.map((d) => d.path)).toContain("plans.ttl_hours");
    }
    await call("PUT", "/api/settings", { body: { plans: { ttl_hours: 24 } } });
  });

  it("keeps 2048 bytes of each request body by default, and an admin may change it (0 keeps none)", async () => {
    expect((await call<Settings>("GET", "/api/settings", { as: "viewer" })).body.request_log).toEqual({ body_excerpt_bytes: 2048 });
    for (const bytes of [0, 65_536, 512]) {
      const saved = await call<Settings>("PUT", "/api/settings", { body: { request_log: { body_excerpt_bytes: bytes } } });
      expect(saved.status).toBe(200);
      expect(saved.body.request_log).toEqual({ body_excerpt_bytes: bytes });
    }
    expect((await call<Settings>("GET", "/api/settings", { as: "viewer" })).body.request_log.body_excerpt_bytes).toBe(512);
    expect((await call("PUT", "/api/settings", { as: "operator", body: { request_log: { body_excerpt_bytes: 1 } } })).status).toBe(403);
  });

  it("lets an admin choose a plan or a custom number of days", async () => {
    const enterprise = await call<Settings>("PUT", "/api/settings", { body: { retention: { plan: "enterprise" } } });
    expect(enterprise.body.retention).toEqual({ plan: "enterprise", custom_days: null, days: 90 });
    const custom = await call<Settings>("PUT", "/api/settings", { body: { retention: { plan: "custom", custom_days: 400 } } });
    expect(custom.body.retention).toEqual({ plan: "custom", custom_days: 400, days: 400 });
    expect((await call<Settings>("GET", "/api/settings", { as: "viewer" })).body.retention.days).toBe(400);
  });

  it.each([
    { retention: { plan: "custom" }, path: "retention.custom_days" },
    { retention: { plan: "custom", custom_days: 0 }, path: "retention.custom_days" },
    { retention: { plan: "custom", custom_days: 3651 }, path: "retention.custom_days" },
    { retention: { plan: "professional", custom_days: 10 }, path: "retention.custom_days" },
    { retention: { plan: "forever" }, path: "retention.plan" },
    { log_export: { target: "r2", bucket_binding: "lower-case" }, path: "log_export.bucket_binding" },
    { log_export: { ...S3, bucket: "No_Such!" }, path: "log_export.bucket" },
    { log_export: { ...S3, endpoint: "http://169.254.169.254/latest", secret_access_key: "k" }, path: "log_export.endpoint" },
    { log_export: S3, path: "log_export.secret_access_key" },
    { request_log: { body_excerpt_bytes: 65_537 }, path: "request_log.body_excerpt_bytes" },
    { request_log: { body_excerpt_bytes: -1 }, path: "request_log.body_excerpt_bytes" },
    { request_log: { body_excerpt_bytes: 1.5 }, path: "request_log.body_excerpt_bytes" },
  ])("refuses $path", async ({ path, ...body }) => {
    const res = await call("PUT", "/api/settings", { body });
    expect(res.status).toBe(400);
    expect(errorOf(res).details!.map((d) => d.path)).toContain(path);
  });

  it("stores an S3 secret encrypted, shows only its hint and keeps it when left out", async () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const saved = await call<Settings>("PUT", "/api/settings", { body: { log_export: { ...S3, secret_access_key: secret } } });
    expect(saved.status).toBe(200);
    expect(saved.body.log_export).toEqual({ ...S3, prefix: "outbound-sync/", secret_hint: "••••EKEY" });
    const row = await env.LEDGER.prepare("SELECT value_json FROM settings WHERE key = ?1").bind(CONFIG_SETTING_KEYS.logExport).first<{ value_json: string }>();
    expect(row!.value_json).not.toContain(secret);

    const moved = await call<Settings>("PUT", "/api/settings", { body: { log_export: { ...S3, bucket: "other-bucket" } } });
    expect(moved.body.log_export).toMatchObject({ bucket: "other-bucket", secret_hint: "••••EKEY" });
    expect(JSON.stringify(moved.body)).not.toContain(secret);

    const r2 = await call<Settings>("PUT", "/api/settings", { body: { log_export: { target: "r2", bucket_binding: "LOG_ARCHIVE" } } });
    expect(r2.body.log_export).toEqual({ target: "r2", bucket_binding: "LOG_ARCHIVE", prefix: "outbound-sync/" });
  });

  it("keeps telemetry header values write-only: sealed, shown as hints, kept when a header is given without one", async () => {
    const key = "hcaik_0123456789abcdefWXYZ";
    const off = await call<Settings>("GET", "/api/settings", { as: "viewer" });
    expect(off.body.telemetry).toEqual({ endpoint: null, service_name: "outbound-sync", headers: [] });
    const saved = await call<Settings>("PUT", "/api/settings", {
      body: { telemetry: { endpoint: "https://api.honeycomb.io", service_name: "sync-prod", headers: [{ name: "x-honeycomb-team", value: key }] } },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.telemetry).toEqual({
      endpoint: "https://api.honeycomb.io",
      service_name: "sync-prod",
      headers: [{ name: "x-honeycomb-team", value_hint: "••••WXYZ" }],
    });
    const row = await env.LEDGER.prepare("SELECT value_json FROM settings WHERE key = ?1").bind(CONFIG_SETTING_KEYS.telemetry).first<{ value_json: string }>();
    expect(row!.value_json).not.toContain(key);

    const kept = await call<Settings>("PUT", "/api/settings", {
      body: { telemetry: { endpoint: "https://otlp.example.com", headers: [{ name: "X-Honeycomb-Team" }] } },
    });
    expect(kept.body.telemetry.headers).toEqual([{ name: "X-Honeycomb-Team", value_hint: "••••WXYZ" }]);
    expect(kept.body.telemetry.service_name).toBe("sync-prod");
    const viewer = await call<Settings>("GET", "/api/settings", { as: "viewer" });
    expect(JSON.stringify(viewer.body)).not.toContain(key);
    expect((await call("PUT", "/api/settings", { as: "operator", body: { telemetry: { endpoint: null } } })).status).toBe(403);

    const offAgain = await call<Settings>("PUT", "/api/settings", { body: { telemetry: { endpoint: null, headers: [] } } });
    expect(offAgain.body.telemetry).toEqual({ endpoint: null, service_name: "sync-prod", headers: [] });
  });

  it.each([
    { telemetry: { endpoint: "http://169.254.169.254/v1" }, path: "telemetry.endpoint" },
    { telemetry: { endpoint: "not a url" }, path: "telemetry.endpoint" },
    { telemetry: { endpoint: "https://otlp.example.com", headers: [{ name: "bad name", value: "v" }] }, path: "telemetry.headers[0].name" },
    { telemetry: { endpoint: "https://otlp.example.com", headers: [{ name: "Content-Type", value: "v" }] }, path: "telemetry.headers[0].name" },
    { telemetry: { endpoint: "https://otlp.example.com", headers: [{ name: "x-new-key" }] }, path: "telemetry.headers[0].value" },
  ])("refuses a telemetry setting naming $path", async ({ path, ...body }) => {
    const res = await call("PUT", "/api/settings", { body });
    expect(res.status).toBe(400);
    expect(errorOf(res).details!.map((d) => d.path)).toContain(path);
  });

  it("lets viewers read but not change", async () => {
    expect((await call("PUT", "/api/settings", { as: "viewer", body: { retention: { plan: "enterprise" } } })).status).toBe(403);
    expect((await call("PUT", "/api/settings", { as: "operator", body: { retention: { plan: "enterprise" } } })).status).toBe(403);
  });
});
