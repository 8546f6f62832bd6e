import { answer, type Schemas } from "../api-client";
import { defineCommand } from "../command";
import { EXIT } from "../exit-codes";
import { formatTable, type Column } from "../table";
import { FRESHNESS_WORD } from "../words";

type ConnectionSummary = Schemas["ConnectionSummary"];

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

export const CONNECTION_COMMANDS = [list, resume];
