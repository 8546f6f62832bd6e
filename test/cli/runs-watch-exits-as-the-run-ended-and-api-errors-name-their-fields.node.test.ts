import { afterEach, describe, expect, it, vi } from "vitest";
import { EXIT } from "../../cli/src/exit-codes";
import { runCli } from "../../cli/src/run-cli";
import { startLoopbackServer, type LoopbackReply, type LoopbackServer } from "../engine/support/loopback-server";
import { FakeSocket, makeJob, makeRun, recordedIo } from "./factories";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// A worker stand-in answering each request with the next reply in line (the last one repeats).
async function answering(...replies: LoopbackReply[]): Promise<LoopbackServer> {
  let next = 0;
  server = await startLoopbackServer(() => replies[Math.min(next++, replies.length - 1)]!);
  return server;
}

async function cli(api: LoopbackServer, argv: string[]) {
  const io = recordedIo({ OUTBOUND_SYNC_URL: api.url, OUTBOUND_SYNC_TOKEN: "osk_o_test" });
  return { code: await runCli(argv, io), io };
}

const running = makeRun({ status: "running", jobs: [makeJob({ processed: 120 })] });

describe("runs watch", () => {
  it.each([
    ["completed", EXIT.ok],
    ["failed", EXIT.runFailed],
    ["canceled", EXIT.runCanceled],
  ] as const)("polls until the run is %s and exits %i", async (status, exit) => {
    const api = await answering({ body: running }, { body: running }, { body: makeRun({ status, jobs: [makeJob({ status, processed: 500 })] }) });
    const { code, io } = await cli(api, ["runs", "watch", "run_1", "--interval", "3"]);
    expect(code).toBe(exit);
    expect(api.requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual(Array(3).fill("GET /api/runs/run_1"));
    expect(api.requests[0]!.headers.authorization).toBe("Bearer osk_o_test");
    expect(io.sleeps).toEqual([3000, 3000]);
    // A line per change, not per poll: the second running answer printed nothing.
    expect(io.out.match(/Device status: Running, 120 of 500 processed/g)).toHaveLength(1);
  });

  it("asks again as soon as the run's live feed says the run changed, ignores its other runs, and closes the feed", async () => {
    const api = await answering({ body: running }, { body: makeRun({ status: "completed", jobs: [makeJob({ status: "completed", processed: 500 })] }) });
    const io = recordedIo({ OUTBOUND_SYNC_URL: api.url, OUTBOUND_SYNC_TOKEN: "osk_o_test" });
    const sockets: FakeSocket[] = [];
    io.openSocket = (url, protocols) => {
      sockets.push(new FakeSocket(url, protocols));
      return sockets.at(-1)!;
    };
    // An interval that never ends by itself: only the feed can wake the watch (the short spacing wait returns at once).
    io.sleep = (ms, signal) => {
      io.sleeps.push(ms);
      return ms <= 250 ? Promise.resolve() : new Promise((resolve) => signal?.addEventListener("abort", () => resolve()));
    };
    const watching = runCli(["runs", "watch", "run_1", "--interval", "3600"], io);
    await vi.waitFor(() => expect(sockets).toHaveLength(1));
    const socket = sockets[0]!;
    expect(socket.url).toBe(`${api.url.replace("http:", "ws:")}/api/live?credential=cred_1`);
    expect(socket.protocols).toEqual(["bearer", "osk_o_test"]);

    socket.send({ type: "job", job: makeJob({ id: "job_9", run_id: "run_2" }), seq: 1 });
    await new Promise((next) => setImmediate(next));
    expect(io.sleeps).toEqual([3_600_000]);
    socket.send({ type: "job", job: makeJob({ processed: 300 }), seq: 2 });

    expect(await watching).toBe(EXIT.ok);
    expect(api.requests).toHaveLength(2);
    expect(io.sleeps).toEqual([3_600_000, 250]);
    expect(io.out).toContain("Run run_1: Completed");
    expect(socket.closed).toBe(true);
  });

  it("polls every interval when the live feed cannot be opened", async () => {
    const api = await answering({ body: running }, { body: makeRun({ status: "completed", jobs: [makeJob({ status: "completed" })] }) });
    const io = recordedIo({ OUTBOUND_SYNC_URL: api.url, OUTBOUND_SYNC_TOKEN: "osk_o_test" });
    io.openSocket = () => {
      throw new Error("no WebSocket here");
    };
    expect(await runCli(["runs", "watch", "run_1", "--interval", "3"], io)).toBe(EXIT.ok);
    expect(io.sleeps).toEqual([3000]);
  });

  it("says a job that read from its cursor found nothing changed, where 0 of 0 alone reads like an empty source", async () => {
    const since = "2026-12-07T04:51:12.000Z";
    const done = makeRun({
      status: "completed",
      jobs: [
        makeJob({
          status: "completed",
          in_scope: 0,
          processed: 0,
          incremental_since: since,
          diagnoses: [{ severity: "info", code: "nothing_changed", label: "nothing changed", message: "No source record changed", hint: "Nothing to do" }],
        }),
        makeJob({ id: "job_2", connection_name: "Fleet listing", status: "completed", in_scope: 0, processed: 0 }),
      ],
    });
    const { code, io } = await cli(await answering({ body: done }), ["runs", "watch", "run_1"]);
    expect(code).toBe(EXIT.ok);
    expect(io.out).toContain(`  Device status: Completed, 0 of 0 processed, 0 failed, nothing changed since ${since}\n`);
    expect(io.out).toContain("  Fleet listing: Completed, 0 of 0 processed, 0 failed\n");
  });

  it("exits 5 when --timeout runs out while the run is still going, looking once more at the timeout", async () => {
    const api = await answering({ body: running });
    const { code, io } = await cli(api, ["runs", "watch", "run_1", "--interval", "2", "--timeout", "5"]);
    expect(code).toBe(EXIT.watchTimedOut);
    expect(io.sleeps).toEqual([2000, 2000, 1000]);
    expect(api.requests).toHaveLength(4);
    expect(io.err).toBe("Run run_1 is still running after 5 s.\n");
  });

  it("counts the time the API took to answer against --timeout", async () => {
    const api = await answering({ body: running });
    const io = recordedIo({ OUTBOUND_SYNC_URL: api.url, OUTBOUND_SYNC_TOKEN: "osk_o_test" });
    // Each answer takes 4 s.
    io.fetch = async (request) => {
      io.clock += 4_000;
      return fetch(request);
    };
    const code = await runCli(["runs", "watch", "run_1", "--interval", "2", "--timeout", "5"], io);
    expect(code).toBe(EXIT.watchTimedOut);
    expect(api.requests).toHaveLength(2);
    expect(io.sleeps).toEqual([1000]);
    expect(io.err).toBe("Run run_1 is still running after 9 s.\n");
  });

  it("rides out two failed polls in a row but not a third", async () => {
    const unavailable: LoopbackReply = { status: 503, body: { error: { code: "unavailable", message: "D1 is unavailable", details: [] } } };
    const recovered = await answering(unavailable, unavailable, { body: makeRun({ status: "completed" }) });
    expect((await cli(recovered, ["runs", "watch", "run_1"])).code).toBe(EXIT.ok);
    await recovered.close();

    const down = await answering(unavailable);
    const { code, io } = await cli(down, ["runs", "watch", "run_1"]);
    expect(code).toBe(EXIT.error);
    expect(down.requests).toHaveLength(3);
    expect(io.err).toBe("Error: D1 is unavailable (HTTP 503, unavailable)\n");
  });

  it("exits 6 when the run completes with more failed records than --max-failed-records, and 0 at or under it", async () => {
    const quiet = makeRun({ status: "completed", failed_records: 3, jobs: [makeJob({ status: "completed", processed: 500, failed: 3 })] });
    const over = await answering({ body: quiet });
    const refused = await cli(over, ["runs", "watch", "run_1", "--max-failed-records", "2"]);
    expect(refused.code).toBe(EXIT.recordsFailed);
    expect(refused.io.err).toBe(`Run ${quiet.id} completed with 3 failed records, more than --max-failed-records 2 allows.\n`);
    await over.close();

    const within = await answering({ body: quiet });
    expect((await cli(within, ["runs", "watch", "run_1", "--max-failed-records", "3"])).code).toBe(EXIT.ok);
    await within.close();
    // Without the option a completed run is a success, failed records or not.
    const unset = await answering({ body: quiet });
    expect((await cli(unset, ["runs", "watch", "run_1"])).code).toBe(EXIT.ok);
  });

  it("with --json prints only the final run, as the API gave it", async () => {
    const final = makeRun({ status: "completed" });
    const api = await answering({ body: running }, { body: final });
    const { code, io } = await cli(api, ["runs", "watch", "run_1", "--json"]);
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(io.out)).toEqual(final);
  });
});

describe("runs start", () => {
  it("starts a single run when given a serial without --type, and a full one without either", async () => {
    const api = await answering({ status: 201, body: makeRun() });
    await cli(api, ["runs", "start", "--credential", "cred_1", "--serial", "DEV-00003", "--mode", "live"]);
    await cli(api, ["runs", "start", "--credential", "cred_1"]);
    await cli(api, ["runs", "start", "--credential", "cred_1", "--type", "full", "--serial", "DEV-00003"]);
    expect(api.requests.map((request) => JSON.parse(request.body))).toEqual([
      { credential_id: "cred_1", type: "single", serial: "DEV-00003", mode: "live" },
      { credential_id: "cred_1", type: "full" },
      // Said outright, full stays full: the API refuses the serial and says why.
      { credential_id: "cred_1", type: "full", serial: "DEV-00003" },
    ]);
  });
});

describe("runs apply and runs rerun", () => {
  it("apply posts the dry run's apply and follows the apply run with --watch; a refusal names its code and exits 1", async () => {
    const applyRun = makeRun({ id: "run_2", mode: "live", plan_run_id: "run_1", status: "pending" });
    const api = await answering(
      { status: 201, body: { run: applyRun } },
      { body: { ...applyRun, status: "completed", jobs: [makeJob({ run_id: "run_2", status: "completed" })] } },
    );
    const { code, io } = await cli(api, ["runs", "apply", "run_1", "--watch", "--interval", "1"]);
    expect(code).toBe(EXIT.ok);
    expect(api.requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual(["POST /api/runs/run_1/apply", "GET /api/runs/run_2"]);
    expect(io.out).toMatch(/^Started run run_2; watching it/);
    expect(io.out).toContain("Run run_2: Completed");
    await api.close();

    const expired = await answering({
      status: 409,
      body: {
        error: {
          code: "plan_expired",
          message: "The plan of dry run run_1 expired at 2026-12-06T08:00:00.000Z (plans last 24 h).",
          details: [],
          hint: "Run a new dry run.",
        },
      },
    });
    const refused = await cli(expired, ["runs", "apply", "run_1", "--watch"]);
    expect(refused.code).toBe(EXIT.error);
    expect(refused.io.err).toMatch(/^Error: The plan of dry run run_1 expired .*\(HTTP 409, plan_expired\)\nHint: Run a new dry run.\n$/);
  });

  it("rerun sends the scope (failed unless --scope all) and prints the new run; a wrong scope starts nothing", async () => {
    const api = await answering({ status: 202, body: makeRun({ id: "run_3", trigger: "rerun", rerun_of: "run_1" }) });
    const failed = await cli(api, ["runs", "rerun", "run_1"]);
    expect(failed.code).toBe(EXIT.ok);
    expect(failed.io.out).toMatch(/^Run run_3: /);
    await cli(api, ["runs", "rerun", "run_1", "--scope", "all"]);
    expect(api.requests.map((request) => [request.url.pathname, JSON.parse(request.body)])).toEqual([
      ["/api/runs/run_1/rerun", { scope: "failed" }],
      ["/api/runs/run_1/rerun", { scope: "all" }],
    ]);

    const wrong = await cli(api, ["runs", "rerun", "run_1", "--scope", "some"]);
    expect(wrong.code).toBe(EXIT.usage);
    const badInterval = await cli(api, ["runs", "rerun", "run_1", "--watch", "--interval", "0"]);
    expect(badInterval.code).toBe(EXIT.usage);
    expect(api.requests).toHaveLength(2);
  });
});

describe("an API error", () => {
  it("reaches stderr with its message, status, code, each field at fault and the hint, and exits 1", async () => {
    const api = await answering({
      status: 400,
      body: {
        error: {
          code: "validation_failed",
          message: "Invalid request body: serial: Required for a single run",
          details: [
            { path: "serial", message: "Required for a single run", in: "body" },
            { path: "connection_ids.0", message: "Unknown connection", in: "body" },
          ],
          hint: "Give --serial with --type single.",
        },
      },
    });
    const { code, io } = await cli(api, ["runs", "start", "--credential", "cred_1", "--type", "single", "--connection", "conn_x"]);
    expect(code).toBe(EXIT.error);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ credential_id: "cred_1", type: "single", connection_ids: ["conn_x"] });
    expect(io.err).toBe(
      [
        "Error: Invalid request body: serial: Required for a single run (HTTP 400, validation_failed)",
        "  serial (body): Required for a single run",
        "  connection_ids.0 (body): Unknown connection",
        "Hint: Give --serial with --type single.",
        "",
      ].join("\n"),
    );
    expect(io.out).toBe("");
  });

  it("without the API's error shape says so rather than guessing", async () => {
    const api = await answering({ status: 502, headers: { "content-type": "text/html" }, body: "<h1>Bad gateway</h1>" });
    const { code, io } = await cli(api, ["runs", "list"]);
    expect(code).toBe(EXIT.error);
    expect(io.err).toBe("Error: /api/runs answered HTTP 502 without the API's error body (is the URL the worker's?).\n");
  });

  it("names the URL that could not be reached", async () => {
    // A port that was just listening and no longer is.
    const api = await answering({ body: {} });
    await api.close();
    server = undefined;
    const io = recordedIo({ OUTBOUND_SYNC_TOKEN: "osk_o_test" });
    expect(await runCli(["runs", "list", "--url", api.url], io)).toBe(EXIT.error);
    expect(io.err).toMatch(new RegExp(`^Error: cannot reach ${api.url}: ECONNREFUSED\\nHint: is the worker running there\\?`));
  });
});

describe("config plan and apply", () => {
  const plan = {
    plan_id: "plan_1",
    summary: { create: 1, update: 2, delete: 0, unchanged: 2 },
    changes: [
      {
        kind: "connection",
        name: "Device status",
        credential: "Demo fleet",
        action: "update",
        fields: [{ path: "config.limits.concurrency", before: 4, after: 8 }],
      },
      { kind: "alert_channel", name: "Ops Slack", action: "create", fields: [{ path: "kind", before: null, after: "slack" }] },
      { kind: "credential", name: "Fleet API", renamed_from: "Fleet", action: "update", fields: [{ path: "name", before: "Fleet", after: "Fleet API" }] },
    ],
    secrets: [
      { name: "SLACK_URL", used_by: ["Ops Slack"], required: true },
      { name: "DEMO_TOKEN", used_by: ["Demo fleet"], required: false },
    ],
  };

  it("send the file's text with its format and print each change field by field", async () => {
    const api = await answering({ body: plan });
    const io = recordedIo({ OUTBOUND_SYNC_URL: api.url, OUTBOUND_SYNC_TOKEN: "osk_a_test" }, { "outbound-sync.json": '{"version":1}' });
    expect(await runCli(["config", "plan", "outbound-sync.json"], io)).toBe(EXIT.ok);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({ document: '{"version":1}', format: "json" });
    expect(io.out).toBe(
      [
        "Plan plan_1: 1 to create, 2 to update, 0 to delete, 2 unchanged.",
        '~ connection "Device status" (credential "Demo fleet")',
        "    config.limits.concurrency: 4 → 8",
        '+ alert channel "Ops Slack"',
        "    kind: null → slack",
        '~ credential "Fleet API", renamed from "Fleet"',
        "    name: Fleet → Fleet API",
        "Apply needs: --secret SLACK_URL (Ops Slack)",
        "",
      ].join("\n"),
    );
  });

  it("--exit-code exits 7 when the document would change something and 0 when it would not, for a drift check in CI", async () => {
    const io = (url: string) => recordedIo({ OUTBOUND_SYNC_URL: url, OUTBOUND_SYNC_TOKEN: "osk_a_test" }, { "outbound-sync.yaml": "version: 1\n" });
    const changing = await answering({ body: plan });
    const drifted = io(changing.url);
    expect(await runCli(["config", "plan", "outbound-sync.yaml", "--exit-code"], drifted)).toBe(EXIT.planHasChanges);
    expect(drifted.out).toContain('~ connection "Device status"');
    // Without the flag a plan with changes is a success: the plan was made.
    expect(await runCli(["config", "plan", "outbound-sync.yaml"], io(changing.url))).toBe(EXIT.ok);
    await changing.close();

    const same = { ...plan, summary: { create: 0, update: 0, delete: 0, unchanged: 5 }, changes: [], secrets: [] };
    expect(await runCli(["config", "plan", "outbound-sync.yaml", "--exit-code"], io((await answering({ body: same })).url))).toBe(EXIT.ok);
  });

  it("apply takes each secret as NAME=value or from the environment variable NAME, and refuses one that is not set", async () => {
    const api = await answering({ body: { ...plan, generated_secrets: [{ kind: "alert_channel", name: "Hooks", secret: "whsec_1" }] } });
    const env = { OUTBOUND_SYNC_URL: api.url, OUTBOUND_SYNC_TOKEN: "osk_a_test", SLACK_URL: "https://hooks.example/1" };
    const io = recordedIo(env, { "config.yaml": "version: 1\n" });
    const argv = ["config", "apply", "config.yaml", "--secret", "SLACK_URL", "--secret", "DEMO_TOKEN=abc=def", "--plan-id", "plan_1", "--change-note", "PR 42"];
    expect(await runCli(argv, io)).toBe(EXIT.ok);
    expect(JSON.parse(api.requests[0]!.body)).toEqual({
      document: "version: 1\n",
      format: "yaml",
      secrets: { SLACK_URL: "https://hooks.example/1", DEMO_TOKEN: "abc=def" },
      plan_id: "plan_1",
      change_note: "PR 42",
    });
    expect(io.out).toMatch(/^Applied plan plan_1: 1 created, 2 updated, 0 deleted, 2 unchanged.\n/);
    expect(io.out).not.toContain("Apply needs");
    expect(io.out).toContain('New alert channel "Hooks" signing secret (shown only now): whsec_1\n');

    const { SLACK_URL: _given, ...withoutSlack } = env;
    const unset = recordedIo(withoutSlack, { "config.yaml": "version: 1\n" });
    expect(await runCli(["config", "apply", "config.yaml", "--secret", "SLACK_URL"], unset)).toBe(EXIT.usage);
    expect(unset.err).toMatch(/^--secret SLACK_URL: the environment variable SLACK_URL is not set./);
    expect(api.requests).toHaveLength(1);
  });

  it("apply reads a secret given as NAME=@file whole, line breaks and all (a private key), and names a file it cannot read", async () => {
    const api = await answering({ body: plan });
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n";
    const env = { OUTBOUND_SYNC_URL: api.url, OUTBOUND_SYNC_TOKEN: "osk_a_test" };
    const io = recordedIo(env, { "config.yaml": "version: 1\n", "keys/sa.pem": pem });
    expect(await runCli(["config", "apply", "config.yaml", "--secret", "SA_KEY=@keys/sa.pem"], io)).toBe(EXIT.ok);
    expect(JSON.parse(api.requests[0]!.body).secrets).toEqual({ SA_KEY: pem });

    const missing = recordedIo(env, { "config.yaml": "version: 1\n" });
    expect(await runCli(["config", "apply", "config.yaml", "--secret", "SA_KEY=@keys/gone.pem"], missing)).toBe(EXIT.usage);
    expect(missing.err).toMatch(/^--secret SA_KEY: cannot read keys\/gone.pem \(no file keys\/gone.pem in the test\)./);
    expect(api.requests).toHaveLength(1);
  });
});
