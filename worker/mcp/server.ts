import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import pkg from "../../package.json";
import { getJobStatus, JOB_STATUS_TOOL } from "./job-status-tool";
import { JOB_RECORDS_TOOL, listJobRecordsTool } from "./job-records-tool";
import { CONNECTION_SERIALS_TOOL, listConnectionSerialsTool } from "./connection-serials-tool";
import { getSerialStatusTool, SERIAL_STATUS_TOOL } from "./serial-status-tool";
import { LIST_CONNECTIONS_TOOL, listConnections } from "./connections-tool";
import { toToolError } from "./tool-errors";
import { APPLY_DRY_RUN_TOOL, applyDryRunTool } from "./apply-tool";
import { LIST_ALERT_CHANNELS_TOOL, listAlertChannelsTool } from "./channels-tool";
import { roleAtLeast, type Principal } from "../auth/principal";
import type { Env } from "../env";

export interface McpContext {
  db: D1Database;
  // Where finished jobs keep their record outcomes (list_job_records).
  archive: Pick<R2Bucket, "get">;
  now: () => number;
  // The dashboard's origin (the worker that answers /mcp serves it too), for the links an agent can hand on.
  dashboardUrl: string;
  // For the one tool that acts (apply_dry_run): the Worker's bindings and the caller.
  env?: Env;
  principal?: Principal;
}

const INSTRUCTIONS =
  "Outbound Sync pushes fields of source records into destination APIs. A run executes a credential's connections " +
  "in order; each connection's execution is a job with status pending, running, completed, failed or canceled. " +
  "Use get_job_status for jobs (filter by status, connection, time) and list_connections for each connection's " +
  "last success and duration statistics, list_job_records for which serials of a job failed and why, " +
  "list_connection_serials for where each serial stands on a connection now (which are failing, since when), " +
  "get_serial_status for one serial on every connection (why did device X not update), " +
  "list_alert_channels for whether alerts reach their channels. apply_dry_run (operator role) applies a reviewed dry run. Times are UTC.";

/** A fresh server per request: the endpoint is stateless, so nothing is shared between calls. */
export function createMcpServer(context: McpContext): McpServer {
  const server = new McpServer({ name: "outbound-sync", version: pkg.version }, { instructions: INSTRUCTIONS });

  server.registerTool(
    JOB_STATUS_TOOL.name,
    { ...readToolConfig(JOB_STATUS_TOOL), inputSchema: JOB_STATUS_TOOL.inputSchema },
    readOnly(JOB_STATUS_TOOL.name, (args) => getJobStatus(context.db, args, context.now(), context.dashboardUrl)),
  );
  server.registerTool(
    LIST_CONNECTIONS_TOOL.name,
    { ...readToolConfig(LIST_CONNECTIONS_TOOL), inputSchema: LIST_CONNECTIONS_TOOL.inputSchema },
    readOnly(LIST_CONNECTIONS_TOOL.name, (args) => listConnections(context.db, args, context.now(), context.dashboardUrl)),
  );
  server.registerTool(
    JOB_RECORDS_TOOL.name,
    { ...readToolConfig(JOB_RECORDS_TOOL), inputSchema: JOB_RECORDS_TOOL.inputSchema },
    readOnly(JOB_RECORDS_TOOL.name, (args) => listJobRecordsTool({ LEDGER: context.db, ARCHIVE: context.archive }, args, context.dashboardUrl)),
  );
  server.registerTool(
    CONNECTION_SERIALS_TOOL.name,
    { ...readToolConfig(CONNECTION_SERIALS_TOOL), inputSchema: CONNECTION_SERIALS_TOOL.inputSchema },
    readOnly(CONNECTION_SERIALS_TOOL.name, (args) => listConnectionSerialsTool(context.db, args, context.dashboardUrl)),
  );
  server.registerTool(
    SERIAL_STATUS_TOOL.name,
    { ...readToolConfig(SERIAL_STATUS_TOOL), inputSchema: SERIAL_STATUS_TOOL.inputSchema },
    readOnly(SERIAL_STATUS_TOOL.name, (args) => getSerialStatusTool(context.db, args, context.dashboardUrl)),
  );
  server.registerTool(
    LIST_ALERT_CHANNELS_TOOL.name,
    { ...readToolConfig(LIST_ALERT_CHANNELS_TOOL), inputSchema: LIST_ALERT_CHANNELS_TOOL.inputSchema },
    readOnly(LIST_ALERT_CHANNELS_TOOL.name, (args) => listAlertChannelsTool(context.db, args, context.now())),
  );

  const { env, principal } = context;
  // Offered to operators and above only: a viewer's agent is not shown a tool it may not use.
  if (env !== undefined && principal !== undefined && roleAtLeast(principal.role, "operator")) {
    server.registerTool(
      APPLY_DRY_RUN_TOOL.name,
      {
        title: APPLY_DRY_RUN_TOOL.title,
        description: APPLY_DRY_RUN_TOOL.description,
        inputSchema: APPLY_DRY_RUN_TOOL.inputSchema,
        annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      },
      async (args: { run_id: string }) => {
        try {
          return asToolResult(await applyDryRunTool(env, principal, args));
        } catch (err) {
          throw toToolError(APPLY_DRY_RUN_TOOL.name, err);
        }
      },
    );
  }

  return server;
}

// Every tool only reads; a failure comes back as that tool's error, a result as text and structured content.
function readToolConfig(tool: { title: string; description: string }) {
  return { title: tool.title, description: tool.description, annotations: { readOnlyHint: true, openWorldHint: false } };
}

function readOnly<Args>(toolName: string, read: (args: Args) => Promise<Record<string, unknown>>) {
  return async (args: Args) => {
    try {
      return asToolResult(await read(args));
    } catch (err) {
      throw toToolError(toolName, err);
    }
  };
}

// Text for every client, structured content for those that read it.
function asToolResult(value: Record<string, unknown>) {
  return {
    content: [{ type: "text" as const, text: JSON.stringify(value, null, 1) }],
    structuredContent: value,
  };
}
