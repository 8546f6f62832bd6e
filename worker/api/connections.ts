import { Hono } from "hono";
import type { Env } from "../env";
import { listConnectionSummaries } from "../ledger/connections";
import type { ConnectionSummary, Page } from "./types";

export const connections = new Hono<{ Bindings: Env }>();

connections.get("/", async (c) => {
  const data = await listConnectionSummaries(c.env.LEDGER);
  const page: Page<ConnectionSummary> = { data, next_cursor: null };
  return c.json(page);
});
