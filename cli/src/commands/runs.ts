import { answer } from "../api-client";
import { CURSOR_OPTION, defineCommand, integerOption, type CommandContext } from "../command";
import { EXIT } from "../exit-codes";
import { runDetailText, runsTable } from "../run-views";
import { watchRun } from "../run-watch";
import { RERUN_SCOPES, RUN_MODES, RUN_STATUSES, RUN_TYPES } from "../words";

const WATCH_OPTIONS = {
  interval: {
    type: "string",
    value: "seconds",
    description: "Seconds between polls of the run (default 2); a change on the run's live feed asks at once",
  },
  timeout: {
    type: "string",
    value: "seconds",
    description: "Stop waiting this long after the watch began, the API's answers included, and exit 5 (default: wait until the run ends)",
  },
  "max-failed-records": {
    type: "string",
    value: "n",
    description: "Exit 6 when the run completes with more failed records than n (0: any; default: completed is success)",
  },
} as const;

function watchOptions(options: { interval?: string; timeout?: string; "max-failed-records"?: string }) {
  const interval = integerOption(options.interval, "interval", 1, 3600) ?? 2;
  const timeout = integerOption(options.timeout, "timeout", 1);
  const maxFailed = integerOption(options["max-failed-records"], "max-failed-records", 0);
  return {
    intervalMs: interval * 1000,
    ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }),
    ...(maxFailed === undefined ? {} : { maxFailedRecords: maxFailed }),
  };
}

function printRun(context: CommandContext, run: Parameters<typeof runDetailText>[0]): void {
  context.io.stdout(context.json ? JSON.stringify(run, null, 2) + "\n" : runDetailText(run, context.url));
}

const start = defineCommand({
  group: "runs",
  name: "start",
  summary: "Start a run of a credential's connections",
  description:
    "Starts a full run (every enabled connection, or --connection ones) or a single-serial run. With --watch it then follows the run and exits as `runs watch` does.",
  args: [],
  options: {
    credential: { type: "string", value: "id", required: true, description: "The credential whose connections run" },
    type: { type: "string", value: "type", choices: RUN_TYPES, description: "full or single (default: single with --serial, else full)" },
    serial: { type: "string", value: "serial", description: "The serial of a single run (--type single may be left out)" },
    mode: { type: "string", value: "mode", choices: RUN_MODES, description: "dry or live (default: each connection's own dry-run setting)" },
    connection: { type: "string", value: "id", multiple: true, description: "Only this connection (repeat for several)" },
    reset: { type: "boolean", description: "Full runs: every record, whatever the cursor (a live run also clears the cursor and retry list)" },
    "idempotency-key": { type: "string", value: "key", description: "The same key within 24 h returns the same run instead of starting another" },
    watch: { type: "boolean", description: "Follow the run until it ends" },
    ...WATCH_OPTIONS,
  },
  examples: [
    "outbound-sync runs start --credential cred_demo_fleet --mode dry",
    "outbound-sync runs start --credential cred_demo_fleet --serial DEV-00001 --mode live --watch",
  ],
  async run(context, { options }) {
    const watch = watchOptions(options);
    // A serial names a single run; an explicit --type full with one is still the API's to refuse.
    const type = (options.type ?? (options.serial === undefined ? "full" : "single")) as (typeof RUN_TYPES)[number];
    const run = await answer(
      context.api().POST("/api/runs", {
        body: {
          credential_id: options.credential!,
          type,
          ...(options.serial === undefined ? {} : { serial: options.serial }),
          ...(options.mode === undefined ? {} : { mode: options.mode as (typeof RUN_MODES)[number] }),
          ...(options.connection === undefined ? {} : { connection_ids: options.connection }),
          ...(options.reset ? { reset: true } : {}),
        },
        params: { header: options["idempotency-key"] === undefined ? {} : { "idempotency-key": options["idempotency-key"] } },
      }),
    );
    return startedRun(context, run, options.watch ? watch : null);
  },
});

// A run just started (start, apply, rerun): printed, or followed as `runs watch` follows it.
async function startedRun(context: CommandContext, run: Parameters<typeof runDetailText>[0], watch: ReturnType<typeof watchOptions> | null): Promise<number> {
  if (watch === null) {
    printRun(context, run);
    return EXIT.ok;
  }
  if (!context.json) context.io.stdout(`Started run ${run.id}; watching it (Ctrl-C stops watching, not the run).\n`);
  return watchRun(context, run.id, watch);
}

const list = defineCommand({
  group: "runs",
  name: "list",
  summary: "List runs, newest first",
  args: [],
  options: {
    status: { type: "string", value: "status", choices: RUN_STATUSES, description: "Only runs in this status" },
    credential: { type: "string", value: "id", description: "Only this credential's runs" },
    connection: { type: "string", value: "id", description: "Only runs of this connection" },
    type: { type: "string", value: "type", choices: RUN_TYPES, description: "full or single" },
    mode: { type: "string", value: "mode", choices: RUN_MODES, description: "dry or live" },
    since: { type: "string", value: "time", description: "Created at or after (ISO 8601)" },
    until: { type: "string", value: "time", description: "Created before (ISO 8601)" },
    serial: { type: "string", value: "serial", description: "Runs that touched this serial" },
    limit: { type: "string", value: "n", description: "Runs per page (1-200, default the API's)" },
    cursor: CURSOR_OPTION,
  },
  examples: ["outbound-sync runs list --status failed --limit 10", "outbound-sync runs list --json | jq '.data[0].id'"],
  async run(context, { options }) {
    const { limit, ...filters } = options;
    const query = { ...filters, ...(limit === undefined ? {} : { limit: integerOption(limit, "limit", 1, 200) }) };
    const page = await answer(context.api().GET("/api/runs", { params: { query: query as never } }));
    if (context.json) {
      context.io.stdout(JSON.stringify(page, null, 2) + "\n");
    } else {
      context.io.stdout(runsTable(page.data));
      if (page.next_cursor) context.io.stdout(`More: --cursor ${page.next_cursor}\n`);
    }
    return EXIT.ok;
  },
});

const watch = defineCommand({
  group: "runs",
  name: "watch",
  summary: "Follow a run until it ends; the exit status says how it ended",
  description:
    "Exit status: 0 completed (also with failed records, unless --max-failed-records is exceeded: then 6), 3 failed, 4 canceled, 5 --timeout ran out.",
  args: [{ name: "run-id", description: "The run to follow" }],
  options: WATCH_OPTIONS,
  examples: ["outbound-sync runs watch run_01jd7v0q2k8x3c5n4m6p7r8s9t --timeout 600"],
  async run(context, { args, options }) {
    return watchRun(context, args[0]!, watchOptions(options));
  },
});

const cancel = defineCommand({
  group: "runs",
  name: "cancel",
  summary: "Cancel a pending or running run",
  args: [{ name: "run-id", description: "The run to cancel" }],
  options: {},
  examples: ["outbound-sync runs cancel run_01jd7v0q2k8x3c5n4m6p7r8s9t"],
  async run(context, { args }) {
    printRun(context, await answer(context.api().POST("/api/runs/{id}/cancel", { params: { path: { id: args[0]! } } })));
    return EXIT.ok;
  },
});

const apply = defineCommand({
  group: "runs",
  name: "apply",
  summary: "Apply a reviewed dry run: a live run that sends exactly its planned requests (operator)",
  description:
    "Serials whose destination or source changed since the dry run are not written (Drifted); serials outside the plan are not touched. " +
    "The API refuses a dry run that is not finished, already applied, expired, empty, or whose connection changed since (exit 1, with the code).",
  args: [{ name: "run-id", description: "The dry run (its plan is the one `runs watch` and the dashboard showed)" }],
  options: { watch: { type: "boolean", description: "Follow the apply run until it ends" }, ...WATCH_OPTIONS },
  examples: ["outbound-sync runs apply run_01jd7v0q2k8x3c5n4m6p7r8s9t --watch --max-failed-records 0"],
  async run(context, { args, options }) {
    // Options are checked before anything starts.
    const watch = watchOptions(options);
    const { run } = await answer(context.api().POST("/api/runs/{id}/apply", { params: { path: { id: args[0]! } } }));
    return startedRun(context, run, options.watch ? watch : null);
  },
});

const rerun = defineCommand({
  group: "runs",
  name: "rerun",
  summary: "Run a finished run again: its failed connections, or all of them (operator)",
  description: "The new run has the same type, serial and mode. A live rerun's failed records are retried as every live run retries them.",
  args: [{ name: "run-id", description: "The finished run" }],
  options: {
    scope: { type: "string", value: "scope", choices: RERUN_SCOPES, description: "failed: the connections whose jobs failed (default); all: every connection" },
    watch: { type: "boolean", description: "Follow the new run until it ends" },
    ...WATCH_OPTIONS,
  },
  examples: ["outbound-sync runs rerun run_01jd7v0q2k8x3c5n4m6p7r8s9t --watch", "outbound-sync runs rerun run_01jd… --scope all"],
  async run(context, { args, options }) {
    const watch = watchOptions(options);
    const scope = (options.scope ?? "failed") as (typeof RERUN_SCOPES)[number];
    const run = await answer(context.api().POST("/api/runs/{id}/rerun", { params: { path: { id: args[0]! } }, body: { scope } }));
    return startedRun(context, run, options.watch ? watch : null);
  },
});

export const RUN_COMMANDS = [start, list, watch, cancel, apply, rerun];
