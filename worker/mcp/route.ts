import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate, requireRole } from "../auth/middleware";
import { createMcpServer } from "./server";

// Mounted at /mcp. Authorised like the API: a viewer token (or Access identity) may read job history.
export const mcpRouter = new Hono<AppEnv>();

mcpRouter.use("*", authenticate(), requireRole("viewer"));

mcpRouter.post("/", async (c) => {
  const server = createMcpServer({
    db: c.env.LEDGER,
    archive: c.env.ARCHIVE,
    now: Date.now,
    dashboardUrl: new URL(c.req.url).origin,
    env: c.env,
    principal: c.var.principal,
  });
  // Stateless with JSON responses: every POST is answered whole, so nothing outlives the request.
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(c.req.raw);
  } finally {
    await server.close();
  }
});

// No server-initiated stream and no sessions to end in stateless mode.
mcpRouter.on(["GET", "DELETE"], "/", (c) =>
  c.json({ jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed: this endpoint is stateless; POST JSON-RPC messages." }, id: null }, 405, {
    Allow: "POST",
  }),
);
