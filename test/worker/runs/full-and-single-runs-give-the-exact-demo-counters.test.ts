import { beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { getConnection } from "../../../worker/ledger/connections";
import { DEMO_EXPECTATIONS, DEMO_SINGLE_SERIAL, demoExampleSerials, demoExpectedOutcomes } from "../../../worker/sandbox/demo-data";
import { api, changeConnection, counters, countersOf, DEMO_IDS, logsOf, outcomesOf, resetWorld, runToEnd, sandboxStats, watchOutbox } from "../factories";

const ALL = [DEMO_IDS.json, DEMO_IDS.xml, DEMO_IDS.bulk];
const { would_update: CHANGED, skipped_no_change: UNCHANGED, missing_source: NO_SOURCE, missing_destination: NO_DESTINATION } = DEMO_EXPECTATIONS.full_run;
const DRY_FULL = counters({
  processed: 500,
  would_update: CHANGED,
  skipped_no_change: UNCHANGED,
  missing_source: NO_SOURCE,
  missing_destination: NO_DESTINATION,
});
const LIVE_FULL_FIRST = counters({
  processed: 500,
  updated: CHANGED,
  skipped_no_change: UNCHANGED,
  missing_source: NO_SOURCE,
  missing_destination: NO_DESTINATION,
});
// The three demo connections write the same fleet: once one has written, the others find nothing to change.
const LIVE_FULL_AFTER = counters({ processed: 500, skipped_no_change: CHANGED + UNCHANGED, missing_source: NO_SOURCE, missing_destination: NO_DESTINATION });
const SLOW = { timeout: 120_000 };

beforeEach(async () => {
  await resetWorld();
});

describe("single runs", () => {
  it("dry: every connection would update the example serial and the fleet is not written", SLOW, async () => {
    const run = await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "dry" });
    expect(run.status).toBe("completed");
    expect(run.jobs.map((j) => j.connection_id)).toEqual(ALL);
    for (const job of run.jobs) {
      expect(job.status).toBe("completed");
      expect(job.in_scope).toBe(1);
      expect(countersOf(job), job.connection_name).toEqual(counters({ processed: 1, would_update: 1 }));
    }
    expect((await sandboxStats()).writes).toBe(0);
  });

  it("live: the first connection writes the serial once and the others then find it unchanged", SLOW, async () => {
    const run = await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "live" });
    expect(run.status).toBe("completed");
    const [json, xml, bulk] = run.jobs;
    expect(countersOf(json!)).toEqual(counters({ processed: 1, updated: 1 }));
    expect(countersOf(xml!)).toEqual(counters({ processed: 1, skipped_no_change: 1 }));
    expect(countersOf(bulk!)).toEqual(counters({ processed: 1, skipped_no_change: 1 }));
    const stats = await sandboxStats();
    expect(stats.writes).toBe(1);
    expect(stats.writes_by_serial).toEqual({ [DEMO_SINGLE_SERIAL]: 1 });
  });

  it("names serials missing on either side, and one the source does not know, in every connection", SLOW, async () => {
    const examples = demoExampleSerials();
    const cases = [
      [examples.missing_source, "missing_source"],
      [examples.missing_destination, "missing_destination"],
      [examples.skipped_no_change, "skipped_no_change"],
      ["NOT-A-SERIAL", "missing_source"],
    ] as const;
    for (const [serial, action] of cases) {
      const run = await runToEnd({ type: "single", serial, mode: "dry" });
      for (const job of run.jobs) {
        expect(countersOf(job), `${serial} in ${job.connection_name}`).toEqual(counters({ processed: 1, [action]: 1 }));
        expect([...(await outcomesOf(job.id))]).toEqual([[serial, action]]);
      }
    }
  });

  it("writes DEBUG lines with each field's before and after when the connection has debug on", SLOW, async () => {
    await changeConnection(DEMO_IDS.json, { debug: true });
    const run = await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "dry", connection_ids: [DEMO_IDS.json, DEMO_IDS.xml] });
    const [debugOn, debugOff] = await Promise.all(run.jobs.map((job) => logsOf(job.id)));
    const debugLines = debugOn!.filter((line) => line.level === "DEBUG");
    expect(debugLines).toHaveLength(1);
    expect(debugLines[0]!.message).toMatch(new RegExp(`^${DEMO_SINGLE_SERIAL}: would_update — \\w+: .+ → .+`));
    expect(debugOff!.some((line) => line.level === "DEBUG")).toBe(false);
  });
});

describe("full runs", () => {
  // JSON PATCH, XML PUT and bulk POST, each against a fresh fleet.
  for (const connection of ALL) {
    it(`dry then live over ${connection}: exact diagnostics, the same decision per serial, the 142 writes once`, SLOW, async () => {
      const dry = await runToEnd({ type: "full", mode: "dry", connection_ids: [connection] });
      expect(dry.status).toBe("completed");
      expect(dry.jobs[0]!.in_scope, connection).toBe(500);
      expect(countersOf(dry.jobs[0]!), connection).toEqual(DRY_FULL);
      const dryOutcomes = await outcomesOf(dry.jobs[0]!.id);
      expect(dryOutcomes).toEqual(new Map(demoExpectedOutcomes()));
      expect((await sandboxStats()).writes).toBe(0);

      const live = await runToEnd({ type: "full", mode: "live", connection_ids: [connection] });
      expect(countersOf(live.jobs[0]!), connection).toEqual(LIVE_FULL_FIRST);
      const liveOutcomes = await outcomesOf(live.jobs[0]!.id);
      const wouldUpdate = [...dryOutcomes]
        .filter(([, a]) => a === "would_update")
        .map(([s]) => s)
        .sort();
      const written = [...liveOutcomes]
        .filter(([, a]) => a === "updated" || a === "failed")
        .map(([s]) => s)
        .sort();
      expect(written, connection).toEqual(wouldUpdate);
      for (const [serial, action] of dryOutcomes) {
        if (action !== "would_update") expect(liveOutcomes.get(serial), serial).toBe(action);
      }
      const stats = await sandboxStats();
      expect(stats.writes, connection).toBe(CHANGED);
      expect(Object.keys(stats.writes_by_serial).sort()).toEqual(wouldUpdate);
      expect(Object.values(stats.writes_by_serial).every((n) => n === 1)).toBe(true);
    });
  }

  // The source pages 500 records at 100 and the listing 495 devices at 200.
  const pagings = [
    {
      name: "offset and limit",
      source: { style: "offset", offset_param: "offset", limit_param: "limit", page_size: 100, first_offset: 0 },
      listing: { style: "offset", offset_param: "offset", limit_param: "limit", page_size: 200, first_offset: 0 },
      query: { source: "", listing: "" },
      // The source ends at an empty sixth page; the listing at its short third.
      requests: { source: 6, listing: 3 },
    },
    {
      name: "the last record's key",
      source: { style: "keyset", after_param: "starting_after", key_path: "serial", has_more_path: "has_more" },
      listing: { style: "keyset", after_param: "starting_after", key_path: "id" },
      query: { source: "?per_page=100", listing: "?per_page=200" },
      // has_more ends the source at its fifth page; the listing, without the flag, at an empty fourth.
      requests: { source: 5, listing: 4 },
    },
  ] as const;
  for (const paging of pagings) {
    it(`an HTTP source and a destination listing paged by ${paging.name} give the same decisions as by link and cursor`, SLOW, async () => {
      const { config } = (await getConnection(env.LEDGER, DEMO_IDS.bulk))!;
      if (config.source.kind !== "http" || config.fetch.mode !== "list") throw new Error("the bulk demo connection reads an HTTP source and a listing");
      const withoutQuery = (url: string) => url.slice(0, url.indexOf("?"));
      await changeConnection(DEMO_IDS.bulk, {
        config: {
          ...config,
          source: { ...config.source, url: withoutQuery(config.source.url) + paging.query.source, pagination: paging.source },
          fetch: { ...config.fetch, url: withoutQuery(config.fetch.url) + paging.query.listing, pagination: paging.listing },
        },
      });

      const dry = await runToEnd({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.bulk] });

      expect(countersOf(dry.jobs[0]!)).toEqual(DRY_FULL);
      expect(await outcomesOf(dry.jobs[0]!.id)).toEqual(new Map(demoExpectedOutcomes()));
      expect(await sandboxStats()).toMatchObject({ source_requests: paging.requests.source, requests: paging.requests.listing, writes: 0 });
    });
  }

  // The same 500 records as an export: one JSON record a line, or CSV rows whose every value is text
  // (the mapping's formatters read "87" as 87, and an empty cell as a missing value).
  for (const format of ["ndjson", "csv"] as const) {
    it(`an HTTP source read as ${format} gives the same decisions as read as JSON`, SLOW, async () => {
      const { config } = (await getConnection(env.LEDGER, DEMO_IDS.bulk))!;
      if (config.source.kind !== "http") throw new Error("the bulk demo connection reads an HTTP source");
      const url = config.source.url.replace("/source/devices?", `/source/devices.${format}?`);
      expect(url).not.toBe(config.source.url);
      await changeConnection(DEMO_IDS.bulk, { config: { ...config, source: { ...config.source, url, format, records_path: "" } } });

      const dry = await runToEnd({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.bulk] });

      expect(countersOf(dry.jobs[0]!)).toEqual(DRY_FULL);
      expect(await outcomesOf(dry.jobs[0]!.id)).toEqual(new Map(demoExpectedOutcomes()));
      expect(await sandboxStats()).toMatchObject({ source_requests: 5, writes: 0 });
    });

    // As a warehouse unloads it: a gzip file per page, served as the file itself (no Content-Encoding).
    it(`an HTTP source read as gzip ${format} files gives the same decisions`, SLOW, async () => {
      const { config } = (await getConnection(env.LEDGER, DEMO_IDS.bulk))!;
      if (config.source.kind !== "http") throw new Error("the bulk demo connection reads an HTTP source");
      const url = config.source.url.replace("/source/devices?", `/source/devices.${format}.gz?`);
      expect(url).toContain(".gz?");
      await changeConnection(DEMO_IDS.bulk, { config: { ...config, source: { ...config.source, url, format, records_path: "" } } });

      const dry = await runToEnd({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.bulk] });

      expect(countersOf(dry.jobs[0]!)).toEqual(DRY_FULL);
      expect(await outcomesOf(dry.jobs[0]!.id)).toEqual(new Map(demoExpectedOutcomes()));
    });

    // As one export file in an object store, read 64 KiB at a time: ranges cut records, each is read whole once.
    it(`an HTTP source read as one ${format} file in byte ranges gives the same decisions`, SLOW, async () => {
      const { config } = (await getConnection(env.LEDGER, DEMO_IDS.bulk))!;
      if (config.source.kind !== "http") throw new Error("the bulk demo connection reads an HTTP source");
      const url = config.source.url.split("?")[0]!.replace("/source/devices", `/source/devices.${format}`);
      const source = { ...config.source, url, format, records_path: "", pagination: { style: "range" as const, chunk_bytes: 64 * 1024 } };
      await changeConnection(DEMO_IDS.bulk, { config: { ...config, source } });

      const dry = await runToEnd({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.bulk] });

      expect(countersOf(dry.jobs[0]!)).toEqual(DRY_FULL);
      expect(await outcomesOf(dry.jobs[0]!.id)).toEqual(new Map(demoExpectedOutcomes()));
      // Without its Range header each request would get one page of the export, not all 500 records. The NDJSON
      // export is over 64 KiB, so its ranges cut a record; the CSV one fits in one.
      expect((await sandboxStats()).source_requests).toBeGreaterThanOrEqual(format === "ndjson" ? 2 : 1);
    });
  }

  it("each status change of the run and its jobs has exactly one event, with the counters", SLOW, async () => {
    const outbox = await watchOutbox();
    const run = await runToEnd({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.bulk] });
    const events = await outbox.eventsOf(run.id);
    const runChanges = events.filter((e) => e.type === "run.status_changed").map((e) => [e.payload.previous_status, e.payload.status]);
    expect(runChanges).toEqual([
      [null, "pending"],
      ["pending", "running"],
      ["running", "completed"],
    ]);
    const job = run.jobs[0]!;
    const changes = events.filter((e) => e.job_id === job.id).map((e) => [e.payload.previous_status, e.payload.status]);
    expect(changes).toEqual([
      ["pending", "running"],
      ["running", "completed"],
    ]);
    const finished = events.find((e) => e.job_id === job.id && e.payload.status === "completed")!;
    expect(finished.payload.counters).toMatchObject({ processed: 500, would_update: CHANGED });

    const read = await api<{ jobs: Array<{ processed: number; would_update: number; status: string }> }>("GET", `/api/runs/${run.id}`);
    expect(read.status).toBe(200);
    expect(read.body.jobs[0]).toMatchObject({ status: "completed", processed: 500, would_update: CHANGED });
  });

  it("live over all three: the first connection writes the 142 changes once, the next two write nothing", SLOW, async () => {
    const run = await runToEnd({ type: "full", mode: "live" });
    expect(run.status).toBe("completed");
    expect(run.connections_succeeded).toBe(3);
    const [json, xml, bulk] = run.jobs;
    expect(countersOf(json!)).toEqual(LIVE_FULL_FIRST);
    expect(countersOf(xml!)).toEqual(LIVE_FULL_AFTER);
    expect(countersOf(bulk!)).toEqual(LIVE_FULL_AFTER);
    const stats = await sandboxStats();
    expect(stats.writes).toBe(CHANGED);
    expect(stats.serials_written).toBe(CHANGED);
    // Completed without a write because the first connection already wrote it all: up to date, an INFO line, no warning.
    const xmlLogs = await logsOf(xml!.id);
    expect(xmlLogs.some((l) => l.level === "INFO" && l.message.includes("none needed one") && l.message.includes("Hint: Nothing to do."))).toBe(true);
    expect(xmlLogs.some((l) => l.level === "WARN")).toBe(false);
    expect(xml!.diagnoses.map((d) => [d.code, d.severity])).toEqual([["up_to_date", "info"]]);
    expect((await logsOf(json!.id)).some((l) => l.level === "WARN")).toBe(false);
  });

  it("a live run repeated right after a successful one writes nothing, incremental or complete", SLOW, async () => {
    await runToEnd({ type: "full", mode: "live", connection_ids: [DEMO_IDS.json] });
    const before = await sandboxStats();

    const incremental = await runToEnd({ type: "full", mode: "live", connection_ids: [DEMO_IDS.json] });
    expect(incremental.jobs[0]!.in_scope).toBe(0);
    expect(countersOf(incremental.jobs[0]!)).toEqual(counters({}));

    const complete = await runToEnd({ type: "full", mode: "live", connection_ids: [DEMO_IDS.json], reset: true });
    expect(countersOf(complete.jobs[0]!)).toEqual(LIVE_FULL_AFTER);
    expect((await sandboxStats()).writes).toBe(before.writes);
  });
});
