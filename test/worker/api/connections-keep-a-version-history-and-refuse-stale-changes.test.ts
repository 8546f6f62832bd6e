import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Connection, ConnectionSummary, ConnectionVersion, Page } from "../../../worker/schemas/types";
import { SANDBOX, call, createConnection, createCredential, errorOf, makeConfig, recordD1, rowCount, unique } from "./config-api";
import { makeRun } from "../factories";

describe("connection CRUD", () => {
  it("creates a connection last in its credential, in dry run, at version 1, with its history row", async () => {
    const credential = await createCredential();
    const first = await createConnection(credential.id);
    const name = unique("Second");
    const res = await call<Connection>("POST", "/api/connections", {
      body: { credential_id: credential.id, name, config: makeConfig() },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("etag")).toBe('"1"');
    expect(res.body).toMatchObject({
      name,
      credential_id: credential.id,
      credential_name: credential.name,
      position: first.position + 1,
      enabled: true,
      dry_run: true,
      debug: false,
      schedule: null,
      version: 1,
    });
    // Defaults of the engine's schema are filled in, so the stored config is complete.
    expect(res.body.config.limits).toEqual({
      requests_per_second: 10,
      concurrency: 2,
      timeout_ms: 10_000,
      retry_attempts: 3,
      stop_on_failure: false,
      max_response_bytes: 10_485_760,
      max_pages: 100_000,
    });

    const history = await call<Page<ConnectionVersion>>("GET", `/api/connections/${res.body.id}/versions`, { as: "viewer" });
    expect(history.body.data).toEqual([
      expect.objectContaining({ version: 1, changed_by: expect.stringMatching(/^admin-tests/), snapshot: expect.objectContaining({ name }) }),
    ]);
  });

  it("reads one connection with its configuration and lists them in execution order, filtered by credential", async () => {
    const credential = await createCredential();
    const a = await createConnection(credential.id);
    const b = await createConnection(credential.id);
    const got = await call<Connection>("GET", `/api/connections/${a.id}`, { as: "viewer" });
    expect(got.body).toEqual(a);

    const listed = await call<Page<ConnectionSummary>>("GET", `/api/connections?credential_id=${credential.id}`, { as: "viewer" });
    expect(listed.body.data.map((c) => [c.id, c.position])).toEqual([
      [a.id, 1],
      [b.id, 2],
    ]);
    expect(listed.body.next_cursor).toBeNull();
  });

  it("pages the list with a cursor without skipping or repeating", async () => {
    const credential = await createCredential();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await createConnection(credential.id)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/api/connections?credential_id=${credential.id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page: { body: Page<ConnectionSummary> } = await call<Page<ConnectionSummary>>("GET", query);
      seen.push(...page.body.data.map((c) => c.id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(ids);
  });

  it("deletes a connection with its dataset and history and closes the gap in positions", async () => {
    const credential = await createCredential();
    const [a, b, c] = [await createConnection(credential.id), await createConnection(credential.id), await createConnection(credential.id)];
    await call("POST", `/api/connections/${b.id}/records`, { raw: '[{"serial":"S1"}]', headers: { "content-type": "application/json" } });

    expect((await call("DELETE", `/api/connections/${b.id}`)).status).toBe(204);
    expect((await call("GET", `/api/connections/${b.id}`)).status).toBe(404);
    expect(await rowCount("connection_versions", "connection_id = ?1", b.id)).toBe(0);
    expect(await rowCount("dataset_records", "connection_id = ?1", b.id)).toBe(0);
    const listed = await call<Page<ConnectionSummary>>("GET", `/api/connections?credential_id=${credential.id}`);
    expect(listed.body.data.map((x) => [x.id, x.position])).toEqual([
      [a.id, 1],
      [c.id, 2],
    ]);
    expect((await call("DELETE", `/api/connections/${b.id}`)).status).toBe(404);
  });

  it("refuses an unknown credential, a duplicate name and an invalid contract, naming the fields", async () => {
    const credential = await createCredential();
    const existing = await createConnection(credential.id);

    const unknown = await call("POST", "/api/connections", { body: { credential_id: "cred_nope", name: "x", config: makeConfig() } });
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown).details).toEqual([expect.objectContaining({ path: "credential_id" })]);

    const duplicate = await call("POST", "/api/connections", { body: { credential_id: credential.id, name: existing.name, config: makeConfig() } });
    expect(duplicate.status).toBe(409);

    const invalid = await call("POST", "/api/connections", {
      body: {
        credential_id: credential.id,
        name: unique("Bad"),
        schedule: "every hour",
        config: makeConfig({ fetch: { mode: "per_serial", url_template: `${SANDBOX}/api/devices`, serial_path: "serial" } }),
      },
    });
    expect(invalid.status).toBe(400);
    expect(errorOf(invalid).details!.map((d) => d.path)).toEqual(expect.arrayContaining(["schedule", "config.fetch.url_template"]));
    expect(await rowCount("connections", "credential_id = ?1", credential.id)).toBe(1);
  });

  it("refuses contract URLs that may not be called, naming the field", async () => {
    const credential = await createCredential();
    const res = await call("POST", "/api/connections", {
      body: {
        credential_id: credential.id,
        name: unique("Unsafe"),
        config: makeConfig({ update: { method: "PUT", url_template: "http://10.0.0.7/devices/{serial}", formatter: "json" } }),
      },
    });
    expect(res.status).toBe(400);
    expect(errorOf(res).details).toEqual([expect.objectContaining({ path: "config.update.url_template" })]);
  });

  it.each(["*/15 * * * *", "0 3 * * 1-5", "30 2 1 * *"])("accepts the 5-field schedule %s", async (schedule) => {
    const connection = await createConnection((await createCredential()).id, { schedule });
    expect(connection.schedule).toBe(schedule);
  });

  it.each(["* * * * * *", "61 * * * *", "@daily", "0 0 31 2 *", ""])("refuses the schedule %j", async (schedule) => {
    const res = await call("POST", "/api/connections", {
      body: { credential_id: (await createCredential()).id, name: unique("Cron"), schedule, config: makeConfig() },
    });
    expect(res.status).toBe(400);
    expect(errorOf(res).details).toEqual([expect.objectContaining({ path: "schedule" })]);
  });
});

describe("connection versioning", () => {
  it("increments the version on every change and records who, when and the whole configuration", async () => {
    const connection = await createConnection((await createCredential()).id);
    const steps: Array<Record<string, unknown>> = [
      { enabled: false },
      { dry_run: false, debug: true },
      { schedule: "0 * * * *", change_note: "hourly" },
      { config: { limits: { concurrency: 4 } } },
      { name: unique("Renamed") },
    ];
    let version = connection.version;
    for (const step of steps) {
      const res = await call<Connection>("PATCH", `/api/connections/${connection.id}`, { body: step });
      expect(res.status).toBe(200);
      expect(res.body.version).toBe(++version);
    }
    const final = await call<Connection>("GET", `/api/connections/${connection.id}`);
    expect(final.body).toMatchObject({ enabled: false, dry_run: false, debug: true, schedule: "0 * * * *", version: 6 });
    // Limits are merged field by field: only concurrency changed.
    expect(final.body.config.limits).toEqual({ ...connection.config.limits, concurrency: 4 });

    const history = await call<Page<ConnectionVersion>>("GET", `/api/connections/${connection.id}/versions?limit=2`);
    expect(history.body.data.map((v) => v.version)).toEqual([6, 5]);
    const older = await call<Page<ConnectionVersion>>("GET", `/api/connections/${connection.id}/versions?cursor=${history.body.next_cursor}&limit=10`);
    expect(older.body.data.map((v) => v.version)).toEqual([4, 3, 2, 1]);
    expect(older.body.next_cursor).toBeNull();
    const v3 = older.body.data.find((v) => v.version === 3)!;
    expect(v3.snapshot).toMatchObject({ enabled: false, dry_run: false, debug: true, schedule: null });
    const v4 = older.body.data.find((v) => v.version === 4)!;
    expect(v4).toMatchObject({ change_note: "hourly", snapshot: { schedule: "0 * * * *" } });
    expect(history.body.data[0]!.snapshot).toEqual({
      name: final.body.name,
      enabled: false,
      dry_run: false,
      debug: true,
      schedule: "0 * * * *",
      config: final.body.config,
      freshness_sla_minutes: null,
    });
  });

  it("writes the change and its history row in the same batch", async () => {
    const connection = await createConnection((await createCredential()).id);
    const recording = recordD1(env.LEDGER);
    const res = await call("PATCH", `/api/connections/${connection.id}`, { body: { enabled: false }, env: { ...env, LEDGER: recording.db } });
    expect(res.status).toBe(200);
    const writes = recording.batches.filter((batch) => batch.some((sql) => /UPDATE connections/.test(sql)));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.some((sql) => /INSERT INTO connection_versions/.test(sql))).toBe(true);
    expect(recording.singles.filter((sql) => /UPDATE connections|INSERT INTO connection_versions/.test(sql))).toEqual([]);
  });

  it("replaces a contract part and checks rules that span parts on the merged configuration", async () => {
    const connection = await createConnection((await createCredential()).id);
    const xml = await call<Connection>("PATCH", `/api/connections/${connection.id}`, {
      body: { config: { update: { method: "PUT", url_template: `${SANDBOX}/xml/devices/{serial}`, formatter: "xml", xml_root: "device" } } },
    });
    expect(xml.status).toBe(200);
    expect(xml.body.config.update).toMatchObject({ formatter: "xml", xml_root: "device" });
    expect(xml.body.config.fetch).toEqual(connection.config.fetch);

    // With an XML update, every mapping destination must be an XML element name.
    const bad = await call("PATCH", `/api/connections/${connection.id}`, {
      body: { config: { mapping: [{ source: "name", destination: "1name" }] } },
    });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).details).toEqual([expect.objectContaining({ path: "config.mapping[0].destination" })]);
    expect((await call<Connection>("GET", `/api/connections/${connection.id}`)).body.version).toBe(2);
  });

  it("answers 409 when If-Match or expected_version is stale, and changes nothing", async () => {
    const connection = await createConnection((await createCredential()).id);
    const first = await call<Connection>("PATCH", `/api/connections/${connection.id}`, { body: { debug: true }, headers: { "if-match": '"1"' } });
    expect(first.status).toBe(200);
    expect(first.headers.get("etag")).toBe('"2"');

    const stale = await call("PATCH", `/api/connections/${connection.id}`, { body: { enabled: false }, headers: { "if-match": '"1"' } });
    expect(stale.status).toBe(409);
    expect(errorOf(stale)).toMatchObject({ code: "version_conflict", meta: { current_version: 2, expected_version: 1 } });

    const staleBody = await call("PATCH", `/api/connections/${connection.id}`, { body: { enabled: false, expected_version: 1 } });
    expect(staleBody.status).toBe(409);

    const after = await call<Connection>("GET", `/api/connections/${connection.id}`);
    expect(after.body).toMatchObject({ version: 2, enabled: true });
    expect(await rowCount("connection_versions", "connection_id = ?1", connection.id)).toBe(2);
  });

  it("lets exactly one of two changes based on the same version through", async () => {
    const connection = await createConnection((await createCredential()).id);
    const results = await Promise.all([
      call("PATCH", `/api/connections/${connection.id}`, { body: { debug: true, expected_version: 1 } }),
      call("PATCH", `/api/connections/${connection.id}`, { body: { enabled: false, expected_version: 1 } }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await rowCount("connection_versions", "connection_id = ?1", connection.id)).toBe(2);
  });

  it("records no new version for a change that changes nothing", async () => {
    const connection = await createConnection((await createCredential()).id);
    const res = await call<Connection>("PATCH", `/api/connections/${connection.id}`, { body: { enabled: true, dry_run: true } });
    expect(res.body.version).toBe(1);
    // The same contract part with its keys in another order is the same configuration.
    const reversed = Object.fromEntries(Object.entries(connection.config.fetch).reverse());
    const same = await call<Connection>("PATCH", `/api/connections/${connection.id}`, { body: { config: { fetch: reversed } } });
    expect(same.body.version).toBe(1);
  });

  it("refuses an empty change and an unknown field", async () => {
    const connection = await createConnection((await createCredential()).id);
    const empty = await call("PATCH", `/api/connections/${connection.id}`, { body: {} });
    expect(empty.status).toBe(400);
    const unknownField = await call("PATCH", `/api/connections/${connection.id}`, { body: { enabeld: false } });
    expect(unknownField.status).toBe(400);
    expect(errorOf(unknownField).details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "enabeld", message: "unknown field" })]));
  });
});

describe("connection freshness", () => {
  const MINUTE = 60_000;
  // The success and the clock's start, moved back as if they happened that long ago.
  async function backdate(id: string, successAgoMin: number | null, sinceAgoMin: number): Promise<void> {
    const now = Date.now();
    await env.LEDGER.prepare("UPDATE connections SET last_success_at = ?2, freshness_since = ?3 WHERE id = ?1")
      .bind(id, successAgoMin === null ? null : now - successAgoMin * MINUTE, now - sinceAgoMin * MINUTE)
      .run();
  }
  const freshnessOf = async (id: string) => (await call<Connection>("GET", `/api/connections/${id}`, { as: "viewer" })).body.freshness;

  it("takes an SLA on create and PATCH, versioned like the schedule, and judges freshness by it", async () => {
    const credential = await createCredential();
    const created = await createConnection(credential.id, { schedule: "*/15 * * * *", dry_run: false, freshness_sla_minutes: 60 });
    expect(created.freshness_sla_minutes).toBe(60);
    expect(created.freshness).toEqual({
      state: "on_time",
      last_success_at: null,
      expected_by: expect.any(String),
      overdue_at: expect.any(String),
      sla_minutes: 60,
    });
    expect(Date.parse(created.freshness!.expected_by) - Date.parse(created.created_at)).toBe(60 * MINUTE);
    expect(Date.parse(created.freshness!.overdue_at) - Date.parse(created.created_at)).toBe(120 * MINUTE);

    await backdate(created.id, 90, 200);
    expect(await freshnessOf(created.id)).toMatchObject({ state: "delayed", sla_minutes: 60 });
    await backdate(created.id, 121, 200);
    expect(await freshnessOf(created.id)).toMatchObject({ state: "overdue" });
    await backdate(created.id, 10, 200);
    const fresh = await freshnessOf(created.id);
    expect(fresh?.state).toBe("on_time");
    expect(Date.parse(fresh!.expected_by) - Date.parse(fresh!.last_success_at!)).toBe(60 * MINUTE);

    const listed = await call<Page<ConnectionSummary>>("GET", `/api/connections?credential_id=${credential.id}`, { as: "viewer" });
    expect(listed.body.data[0]).toMatchObject({ freshness_sla_minutes: 60, freshness: { state: "on_time", sla_minutes: 60 } });

    const changed = await call<Connection>("PATCH", `/api/connections/${created.id}`, { body: { freshness_sla_minutes: null } });
    expect(changed.body).toMatchObject({ version: 2, freshness_sla_minutes: null, freshness: { sla_minutes: null } });
    const history = await call<Page<ConnectionVersion>>("GET", `/api/connections/${created.id}/versions`);
    expect(history.body.data.map((v) => v.snapshot.freshness_sla_minutes)).toEqual([null, 60]);
  });

  it("restarts the clock when the schedule or SLA changes, not on a rename", async () => {
    const connection = await createConnection((await createCredential()).id, { schedule: "0 * * * *", dry_run: false });
    await backdate(connection.id, null, 500);
    expect(await freshnessOf(connection.id)).toMatchObject({ state: "overdue", last_success_at: null });
    await call("PATCH", `/api/connections/${connection.id}`, { body: { name: unique("Renamed") } });
    expect((await freshnessOf(connection.id))?.state).toBe("overdue");
    await call("PATCH", `/api/connections/${connection.id}`, { body: { schedule: "30 * * * *" } });
    expect((await freshnessOf(connection.id))?.state).toBe("on_time");
  });

  it("has none for an unscheduled or disabled connection", async () => {
    const credential = await createCredential();
    expect((await createConnection(credential.id)).freshness).toBeNull();
    expect((await createConnection(credential.id, { schedule: "0 * * * *", enabled: false, freshness_sla_minutes: 5 })).freshness).toBeNull();
  });

  it("has none while the connection is paused (in the connection and the list), and starts the clock again on resume", async () => {
    const credential = await createCredential();
    const connection = await createConnection(credential.id, { schedule: "0 * * * *", dry_run: false });
    await backdate(connection.id, 300, 500);
    expect((await freshnessOf(connection.id))?.state).toBe("overdue");

    // As the failure that pauses it records it: the scheduler now skips it, so no success is expected.
    await env.LEDGER.prepare("UPDATE connections SET paused_at = ?2, paused_reason = 'Failed 10 runs in a row' WHERE id = ?1")
      .bind(connection.id, Date.now())
      .run();
    expect(await freshnessOf(connection.id)).toBeNull();
    const listed = await call<Page<ConnectionSummary>>("GET", `/api/connections?credential_id=${credential.id}`, { as: "viewer" });
    expect(listed.body.data[0]).toMatchObject({ id: connection.id, freshness: null });

    const resumed = await call<Connection>("POST", `/api/connections/${connection.id}/resume`);
    expect(resumed.body.paused).toBeNull();
    // Still no success for five hours, but the promise starts again from the resume: the next one is due.
    expect(resumed.body.freshness).toMatchObject({ state: "on_time" });
    expect(Date.parse(resumed.body.freshness!.expected_by)).toBeGreaterThan(Date.now());
  });

  it("counts a completed dry run as the success of a connection in dry-run mode", async () => {
    const connection = await createConnection((await createCredential()).id, { schedule: "0 * * * *", freshness_sla_minutes: 30 });
    await backdate(connection.id, null, 100);
    expect((await freshnessOf(connection.id))?.state).toBe("overdue");
    const finishedAt = Date.now() - 5 * MINUTE;
    await makeRun({ created_at: finishedAt - 1_010, mode: "dry" }, [{ connection_id: connection.id }]);
    expect(await freshnessOf(connection.id)).toMatchObject({ state: "on_time", last_success_at: new Date(finishedAt).toISOString() });
  });

  it("refuses an SLA that is not a whole number of minutes from 1 to 43200, naming the field", async () => {
    const credential = await createCredential();
    for (const bad of [0, 1.5, 43_201, "60"]) {
      const res = await call("POST", "/api/connections", {
        body: { credential_id: credential.id, name: unique("Bad SLA"), config: makeConfig(), freshness_sla_minutes: bad },
      });
      expect(res.status).toBe(400);
      expect(errorOf(res).details).toEqual([expect.objectContaining({ path: "freshness_sla_minutes" })]);
    }
  });
});
