import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import pkg from "../../package.json";
import { getJobStatus, JOB_STATUS_TOOL } from "./job-status-tool";
import { LIST_CONNECTIONS_TOOL, listConnections } from "./connections-tool";
import { toToolError } from "./tool-errors";

export interface McpContext {
  db: D1Database;
  now: () => number;
}

const INSTRUCTIONS =
  "Outbound Sync pushes fields of source records into destination APIs. A run executes a credential's connections " +
  "in order; each connection's execution is a job with status pending, running, completed, failed or canceled. " +
  "Use get_job_status for jobs (filter by status, connection, time) and list_connections for each connection's " +
  "last success and duration statistics. Times are UTC.";

/** A fresh server per request: the endpoint is stateless, so nothing is shared between calls. */
export function createMcpServer(context: McpContext): McpServer {
  const server = new McpServer({ name: "outbound-sync", version: pkg.version }, { instructions: INSTRUCTIONS });

  server.registerTool(
    JOB_STATUS_TOOL.name,
    { ...readToolConfig(JOB_STATUS_TOOL), inputSchema: JOB_STATUS_TOOL.inputSchema },
    readOnly(JOB_STATUS_TOOL.name, (args) => getJobStatus(context.db, args, context.now())),
  );
  server.registerTool(
    LIST_CONNECTIONS_TOOL.name,
    { ...readToolConfig(LIST_CONNECTIONS_TOOL), inputSchema: LIST_CONNECTIONS_TOOL.inputSchema },
    readOnly(LIST_CONNECTIONS_TOOL.name, (args) => listConnections(context.db, args, context.now())),
  );

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
