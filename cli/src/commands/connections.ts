import { answer, type Schemas } from "../api-client";
import { CURSOR_OPTION, defineCommand } from "../command";
import { EXIT } from "../exit-codes";
import { outcomeQuery } from "../outcome-query";
import { formatTable, type Column } from "../table";
import { ACTION_WORD, FRESHNESS_WORD, RECORD_ACTIONS } from "../words";
import { ACTIONS_WORST_FIRST } from "../../../shared/outcome-order";

type ConnectionSummary = Schemas["ConnectionSummary"];
type ConnectionSerial = Schemas["ConnectionSerial"];
type ConnectionSerialPage = Schemas["ConnectionSerialPage"];
type TestLookupResult = Schemas["TestLookupResult"];

// The API's largest page: a fleet's connections are listed whole, in execution order.
const PAGE = 500;

// What a row says about the connection's state, in the dashboard's words: disabled, paused, alerts muted.
function stateText(connection: ConnectionSummary): string {
  const states = [connection.enabled ? "Enabled" : "Disabled"];
  if (connection.paused !== null) states.push(`Paused since ${connection.paused.at}: ${connection.paused.reason}`);
  if (connection.alerts_muted_until !== null) states.push(`alerts muted until ${connection.alerts_muted_until}`);
  return states.join(", ");
}

const CONNECTION_COLUMNS: Column<ConnectionSummary>[] = [
  { header: "CONNECTION", value: (connection) => connection.id },
  { header: "NAME", value: (connection) => connection.name },
  { header: "CREDENTIAL", value: (connection) => `${connection.credential_name} (${connection.credential_id})` },
  { header: "#", value: (connection) => String(connection.position), align: "right" },
  { header: "MODE", value: (connection) => (connection.dry_run ? "Dry run" : "Live") },
  { header: "SCHEDULE (UTC)", value: (connection) => connection.schedule ?? "" },
  { header: "FRESHNESS", value: (connection) => (connection.freshness === null ? "" : FRESHNESS_WORD[connection.freshness.state]) },
  { header: "STATE", value: stateText },
];

const list = defineCommand({
  group: "connections",
  name: "list",
  summary: "Every connection in execution order, with the ids runs start with",
  description: "Grouped by credential, in each credential's execution order: the CONNECTION and CREDENTIAL ids are what `runs start` takes.",
  args: [],
  options: { credential: { type: "string", value: "id", description: "Only this credential's connections" } },
  examples: ["outbound-sync connections list", "outbound-sync connections list --credential cred_demo_fleet --json"],
  async run(context, { options }) {
    const api = context.api();
    const connections: ConnectionSummary[] = [];
    let cursor: string | undefined;
    do {
      const query = {
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
        ...(options.credential === undefined ? {} : { credential_id: options.credential }),
      };
      const page = await answer(api.GET("/api/connections", { params: { query } }));
      connections.push(...page.data);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    if (context.json) context.io.stdout(JSON.stringify(connections, null, 2) + "\n");
    else context.io.stdout(connections.length === 0 ? "No connections.\n" : formatTable(CONNECTION_COLUMNS, connections));
    return EXIT.ok;
  },
});

const resume = defineCommand({
  group: "connections",
  name: "resume",
  summary: "Resume a connection the scheduler paused after failed runs (operator)",
  description: "Its schedule runs it again, and the failure streak and freshness clock start from zero. A connection that is not paused is left as it is.",
  args: [{ name: "connection-id", description: "The connection (the CONNECTION column of `connections list`)" }],
  options: {},
  examples: ["outbound-sync connections resume conn_01jd7v0q2k8x3c5n4m6p7r8s9t"],
  async run(context, { args }) {
    const connection = await answer(context.api().POST("/api/connections/{id}/resume", { params: { path: { id: args[0]! } } }));
    if (context.json) context.io.stdout(JSON.stringify(connection, null, 2) + "\n");
    else context.io.stdout(`Connection "${connection.name}" (${connection.id}): ${stateText(connection)}.\n`);
    return EXIT.ok;
  },
});

const SERIAL_COLUMNS: Column<ConnectionSerial>[] = [
  { header: "SERIAL", value: (row) => row.serial },
  { header: "LATEST OUTCOME", value: (row) => `${ACTION_WORD[row.action]}${row.mode === "dry" ? " (dry run)" : ""}` },
  { header: "SINCE", value: (row) => row.since },
  { header: "JOB", value: (row) => (row.job_kept ? row.job_id : `${row.job_id} (deleted by retention)`) },
];

// "Failed 3, Missing Destination 25": the actions some serial holds now, worst first, as the dashboard's Serials section.
function countsText(page: ConnectionSerialPage): string | null {
  const { counts } = page;
  if (counts === null) return null;
  const held = ACTIONS_WORST_FIRST.map((action) => [action, counts[action] ?? 0] as const).filter(([, n]) => n > 0);
  if (held.length === 0) return null;
  return held.map(([action, n]) => `${ACTION_WORD[action]} ${n > page.count_cap ? `${page.count_cap}+` : n}`).join(", ");
}

const serials = defineCommand({
  group: "connections",
  name: "serials",
  summary: "Each serial's latest outcome on a connection, across runs",
  description:
    "Where each serial stands on the connection now: its latest outcome from any run, since when, and the job that recorded it. " +
    "`--action failed` lists the serials failing now; the first page also counts every outcome.",
  args: [{ name: "connection-id", description: "The connection (the CONNECTION column of `connections list`)" }],
  options: {
    action: { type: "string", value: "action", choices: RECORD_ACTIONS, description: "Only serials whose latest outcome is this" },
    serial: { type: "string", value: "prefix", description: "Serials starting with this text" },
    limit: { type: "string", value: "n", description: "Serials per page (1-500, default 100)" },
    cursor: CURSOR_OPTION,
  },
  examples: ["outbound-sync connections serials conn_demo_json --action failed", "outbound-sync connections serials conn_demo_json --serial DEV-001 --json"],
  async run(context, { args, options }) {
    const query = outcomeQuery(options);
    const page = await answer(context.api().GET("/api/connections/{id}/serials", { params: { path: { id: args[0]! }, query } }));
    if (context.json) {
      context.io.stdout(JSON.stringify(page, null, 2) + "\n");
      return EXIT.ok;
    }
    const counts = countsText(page);
    if (counts !== null) context.io.stdout(`${counts}\n`);
    context.io.stdout(page.data.length === 0 ? "No serials match.\n" : formatTable(SERIAL_COLUMNS, page.data));
    if (page.next_cursor) context.io.stdout(`More: --cursor ${page.next_cursor}\n`);
    return EXIT.ok;
  },
});

const LOOKUP_EXIT = { found: EXIT.ok, missing: EXIT.lookupMissing, error: EXIT.error } as const;

// The dashboard's Test lookup in words: what was found where, the last request and the record the contract resolved.
function lookupText(result: TestLookupResult, serial: string, side: "destination" | "source"): string {
  const lines: string[] = [];
  if (result.outcome === "found") lines.push(`Found ${serial} in the ${side}.`);
  else if (result.outcome === "missing")
    lines.push(`${side === "source" ? "Missing Source" : "Missing Destination"}: ${serial}${result.detail ? ` (${result.detail})` : ""}.`);
  else
    lines.push(
      `The lookup of ${serial} failed: ${result.error?.message ?? "unknown error"} [${result.error?.code ?? "error"}]`,
      `Hint: ${result.error?.hint ?? ""}`,
    );
  const { request } = result;
  if (request !== null) {
    const status = request.status === null ? "no response" : `HTTP ${request.status}`;
    lines.push(
      `${request.method} ${request.url} → ${status} · ${Math.round(request.duration_ms)} ms${result.requests > 1 ? ` (${result.requests} requests)` : ""}`,
    );
  }
  if (result.record !== null && result.record !== undefined) lines.push(JSON.stringify(result.record, null, 2));
  return `${lines.join("\n")}\n`;
}

const lookup = defineCommand({
  group: "connections",
  name: "lookup",
  summary: "Look one serial up through a connection's saved contract, as Test lookup does (operator)",
  description:
    "Calls the destination through the fetch contract (with --source, the source through the source contract) for real, with the " +
    `credential's auth, and prints the request and the record it resolved; nothing is written. Exits 0 when found, ${EXIT.lookupMissing} ` +
    "when the serial is not there, 1 when the lookup failed.",
  args: [
    { name: "connection-id", description: "The connection (the CONNECTION column of `connections list`)" },
    { name: "serial", description: "The serial to look up" },
  ],
  options: { source: { type: "boolean", description: "Look in the source instead of the destination" } },
  examples: ["outbound-sync connections lookup conn_demo_json DEV-00001", "outbound-sync connections lookup conn_demo_bulk DEV-00042 --source --json"],
  async run(context, { args, options }) {
    const [id, serial] = [args[0]!, args[1]!];
    const contract = options.source === true ? "source" : "fetch";
    const result = await answer(context.api().POST("/api/connections/{id}/test-lookup", { params: { path: { id } }, body: { serial, contract } }));
    context.io.stdout(context.json ? JSON.stringify(result, null, 2) + "\n" : lookupText(result, serial, contract === "source" ? "source" : "destination"));
    return LOOKUP_EXIT[result.outcome];
  },
});

export const CONNECTION_COMMANDS = [list, serials, lookup, resume];
