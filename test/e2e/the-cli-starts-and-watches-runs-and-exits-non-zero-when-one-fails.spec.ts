import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { APIRequestContext } from "@playwright/test";
// @ts-expect-error -- plain ESM script without type declarations
import { buildCli } from "../../scripts/build-cli.mjs";
import { createWrongMethodConnection, DEMO_CREDENTIAL_ID, resetDemo, setSandboxLatency } from "./demo-api";
import { expect, test, type WorkerServer } from "./fixtures";

// The CLI as a CI step runs it: the bundle `npm install` builds, a child process, URL and token from the environment.
const BIN = resolve(import.meta.dirname, "../../cli/bin/outbound-sync.mjs");

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Children still running when a test ends (it failed while a watch waited): stopped then, not left to the CI job.
const running = new Set<ChildProcess>();
test.afterEach(() => {
  for (const child of running) child.kill();
  running.clear();
});

// `printed` hears the standard output so far each time more arrives.
function cli(server: WorkerServer, args: string[], token = server.tokens.admin, printed?: (stdout: string) => void): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, OUTBOUND_SYNC_URL: server.baseURL, OUTBOUND_SYNC_TOKEN: token },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      printed?.(stdout);
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", fail);
    child.once("close", (code) => {
      running.delete(child);
      done({ code, stdout, stderr });
    });
  });
}

async function deleteThrough(api: APIRequestContext, path: string): Promise<void> {
  const response = await api.delete(path);
  expect(response.ok(), `DELETE ${path} answered ${response.status()}`).toBe(true);
}

test.beforeAll(async () => {
  await buildCli();
});

test("tokens create prints the token alone, which signs the next command in; runs list --json parses", async ({ server, adminApi }) => {
  const name = `cli-e2e-${Date.now()}`;
  const created = await cli(server, ["tokens", "create", "--role", "viewer", "--name", name, "--expires-in-days", "1"]);
  try {
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^osk_v_[0-9a-z]+\n$/);
    expect(created.stderr).toContain(`Created viewer token "${name}"`);
    const viewerToken = created.stdout.trim();

    const listed = await cli(server, ["runs", "list", "--json", "--limit", "5"], viewerToken);
    expect(listed.code, listed.stderr).toBe(0);
    const page = JSON.parse(listed.stdout) as { data: unknown[]; next_cursor: string | null };
    expect(Array.isArray(page.data)).toBe(true);

    // The ids runs start takes, for a viewer too; resuming a connection that is not paused leaves it as it is.
    const connections = await cli(server, ["connections", "list", "--credential", DEMO_CREDENTIAL_ID], viewerToken);
    expect(connections.code, connections.stderr).toBe(0);
    expect(connections.stdout).toMatch(new RegExp(`^conn_demo_json\\s+Device status \\(JSON\\)\\s+.*\\(${DEMO_CREDENTIAL_ID}\\)\\s+1\\s`, "m"));
    const resumed = await cli(server, ["connections", "resume", "conn_demo_json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toBe('Connection "Device status (JSON)" (conn_demo_json): Enabled.\n');

    // A viewer may read but not start: the API's refusal, its code and the role it needs, and exit 1.
    const refused = await cli(server, ["runs", "start", "--credential", DEMO_CREDENTIAL_ID], viewerToken);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: .*\(HTTP 403, forbidden\)/);
  } finally {
    const tokens = (await (await adminApi.get("/api/tokens")).json()) as { data: { id: string; name: string }[] };
    for (const token of tokens.data.filter((t) => t.name === name)) await deleteThrough(adminApi, `/api/tokens/${token.id}`);
  }
});

test("runs start and runs watch follow a single dry run to Completed; jobs records, logs and requests print it", async ({ server }) => {
  test.setTimeout(90_000);
  const started = await cli(server, [
    "runs",
    "start",
    "--credential",
    DEMO_CREDENTIAL_ID,
    "--type",
    "single",
    "--serial",
    "DEV-00001",
    "--mode",
    "dry",
    "--json",
  ]);
  expect(started.code, started.stderr).toBe(0);
  const run = JSON.parse(started.stdout) as { id: string; jobs: { id: string }[] };

  const watched = await cli(server, ["runs", "watch", run.id, "--interval", "1", "--timeout", "60"]);
  expect(watched.code, watched.stdout + watched.stderr).toBe(0);
  expect(watched.stdout).toContain(`Run ${run.id}: Completed`);
  expect(watched.stdout).toMatch(/JOB\s+CONNECTION\s+STATUS\s+PROCESSED/);

  const job = run.jobs[0]!.id;
  const records = await cli(server, ["jobs", "records", job]);
  expect(records.code, records.stderr).toBe(0);
  expect(records.stdout).toMatch(/^SERIAL\s+OUTCOME\s+CHANGES/);
  expect(records.stdout).toContain("DEV-00001");

  const logs = await cli(server, ["jobs", "logs", job]);
  expect(logs.code, logs.stderr).toBe(0);
  expect(logs.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+ {2}INFO /m);

  // The request inspector: the serial's lookup, then that request as sent and answered.
  const requests = await cli(server, ["jobs", "requests", job, "--serial", "DEV-00001"]);
  expect(requests.code, requests.stderr).toBe(0);
  const lookup = requests.stdout.match(/^\s*(\d+)\s+\S+\s+lookup\s+GET \S+DEV-00001\s+200\s/m);
  expect(lookup, requests.stdout).not.toBeNull();
  const shown = await cli(server, ["jobs", "requests", job, "--seq", lookup![1]!]);
  expect(shown.code, shown.stderr).toBe(0);
  expect(shown.stdout).toMatch(/^> GET \S+DEV-00001\n[^]*^< 200 in \d+ ms\n/m);

  const csv = await cli(server, ["jobs", "records", job, "--csv"]);
  expect(csv.code, csv.stderr).toBe(0);
  expect(csv.stdout).toMatch(/^serial,action,/);
  const download = await cli(server, ["jobs", "logs", job, "--all"]);
  expect(download.code, download.stderr).toBe(0);
  expect(download.stdout).toContain("INFO");

  const listed = await cli(server, ["runs", "list", "--credential", DEMO_CREDENTIAL_ID, "--limit", "1"]);
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toMatch(new RegExp(`^RUN\\s+STATUS.*\n${run.id}\\s+Completed.*\\ssingle DEV-00001\\s+dry\\s`));

  // Run again, every connection of it, followed to its end.
  const rerun = await cli(server, ["runs", "rerun", run.id, "--scope", "all", "--watch", "--json"]);
  expect(rerun.code, rerun.stderr).toBe(0);
  expect(JSON.parse(rerun.stdout)).toMatchObject({ rerun_of: run.id, trigger: "rerun", status: "completed" });
});

test("runs watch exits 3 on a failed run, with the job's error and hint, and 4 on a canceled one", async ({ server, adminApi }) => {
  test.setTimeout(120_000);
  // Restored fleet data, so the serial has something to write and reaches the update call the sandbox refuses.
  expect((await adminApi.post("/sandbox/_reset")).ok()).toBe(true);
  const { credentialId, connectionId } = await createWrongMethodConnection(adminApi);
  try {
    const failed = await cli(server, [
      "runs",
      "start",
      "--credential",
      credentialId,
      "--type",
      "single",
      "--serial",
      "DEV-00001",
      "--mode",
      "live",
      "--watch",
      "--interval",
      "1",
      "--timeout",
      "60",
    ]);
    expect(failed.code, failed.stdout + failed.stderr).toBe(3);
    expect(failed.stdout).toMatch(/Run run_\S+: Failed/);
    expect(failed.stdout).toContain("Hint: Verify method in Update API Contract");
    // A live run is no plan: apply refuses it with the API's code.
    const failedRunId = /Run (run_\S+): Failed/.exec(failed.stdout)![1]!;
    const notAPlan = await cli(server, ["runs", "apply", failedRunId]);
    expect(notAPlan.code).toBe(1);
    expect(notAPlan.stderr).toMatch(/\(HTTP 409, plan_not_dry\)/);

    // The demo's own pace finishes a Full run in seconds; a slow destination keeps it running long enough to cancel.
    await setSandboxLatency(adminApi, 300);
    const started = await cli(server, ["runs", "start", "--credential", DEMO_CREDENTIAL_ID, "--mode", "dry", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    const { id } = JSON.parse(started.stdout) as { id: string };
    // Watched before the cancel, with an interval longer than the test and no timeout: only the run's live feed can
    // tell it of the end in time.
    let watchBegan!: () => void;
    const began = new Promise<void>((resolve) => (watchBegan = resolve));
    const watching = cli(server, ["runs", "watch", id, "--interval", "3600"], server.tokens.admin, (stdout) => {
      if (stdout.includes(`Run ${id}: `)) watchBegan();
    });
    await began;
    const canceled = await cli(server, ["runs", "cancel", id]);
    expect(canceled.code, canceled.stderr).toBe(0);
    const watched = await watching;
    expect(watched.code, watched.stdout + watched.stderr).toBe(4);
    expect(watched.stdout).toMatch(new RegExp(`Run ${id}: (Pending|Running|Canceling)[^]*Run ${id}: Canceled`));
  } finally {
    await deleteThrough(adminApi, `/api/connections/${connectionId}`);
    await deleteThrough(adminApi, `/api/credentials/${credentialId}`);
    await resetDemo(adminApi);
  }
});

test("the API's errors reach stderr with their code and field and exit 1; a wrong command line exits 2", async ({ server }) => {
  const unknownRun = await cli(server, ["runs", "watch", "run_does_not_exist"]);
  expect(unknownRun.code).toBe(1);
  expect(unknownRun.stderr).toMatch(/^Error: .*\(HTTP 404, not_found\)/);

  const badLevel = await cli(server, ["jobs", "logs", "job_any", "--level", "LOUD"]);
  expect(badLevel.code).toBe(1);
  expect(badLevel.stderr).toContain("(HTTP 400, validation_failed)");
  expect(badLevel.stderr).toMatch(/^ {2}level \(query\): /m);

  const badToken = await cli(server, ["runs", "list"], "osk_v_notatokenatall");
  expect(badToken.code).toBe(1);
  expect(badToken.stderr).toContain("HTTP 401");

  const missing = await cli(server, ["runs", "start", "--mode", "dry"]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("Missing --credential <id>.");
  expect(missing.stderr).toContain("Usage: outbound-sync runs start --credential <id> [options]");
});

test("config export prints the document; config plan of it changes nothing, and apply with its plan id applies that", async ({ server }) => {
  const dir = await mkdtemp(join(tmpdir(), "cli-config-"));
  try {
    const exported = await cli(server, ["config", "export"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^version: 1$/m);
    const file = join(dir, "outbound-sync.yaml");
    await writeFile(file, exported.stdout);

    const planned = await cli(server, ["config", "plan", file, "--json"]);
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout) as { plan_id: string; summary: { create: number; update: number; delete: number } };
    expect(plan.summary).toMatchObject({ create: 0, update: 0, delete: 0 });

    const applied = await cli(server, ["config", "apply", file, "--plan-id", plan.plan_id, "--change-note", "CLI e2e"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`Applied plan ${plan.plan_id}: 0 created, 0 updated, 0 deleted`);

    const wrongVersion = join(dir, "wrong.json");
    await writeFile(wrongVersion, JSON.stringify({ version: 2 }));
    const refused = await cli(server, ["config", "plan", wrongVersion]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("(HTTP 400, validation_failed)");
    expect(refused.stderr).toMatch(/version/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
