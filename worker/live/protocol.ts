import { z } from "@hono/zod-openapi";
import { jobSummarySchema, runDetailSchema, runSummarySchema } from "../schemas/runs";

// Every message of GET /api/live, both directions, as JSON text frames. web/ imports the types (type-only).
//
// Server → client: `snapshot` first on every connect and on `resync` — the complete set of active runs
// (pending and running) with their jobs, which replaces whatever the client held — then `run` and `job`
// deltas, each carrying the whole row as GET /api/runs/{id} shows it. A run that is no longer active in a
// snapshot has finished; a delta for an unknown run adds it.
// Client → server: `ping` (answered with `pong` without waking the hub) and `resync`.

const snapshotMessage = z.object({
  type: z.literal("snapshot"),
  runs: z.array(runDetailSchema),
  at: z.string().openapi({ format: "date-time" }),
});
const runMessage = z.object({
  type: z.literal("run"),
  run: runSummarySchema,
  // Present when the job list itself changed (e.g. a new run): it replaces the client's list for that run.
  jobs: z.array(jobSummarySchema).optional(),
});
const jobMessage = z.object({ type: z.literal("job"), job: jobSummarySchema });
const pongMessage = z.object({ type: z.literal("pong") });
const errorMessage = z.object({ type: z.literal("error"), code: z.string(), message: z.string() });
const pingMessage = z.object({ type: z.literal("ping") });
const resyncMessage = z.object({ type: z.literal("resync") });

export const liveMessageSchema = z.discriminatedUnion("type", [snapshotMessage, runMessage, jobMessage, pongMessage, errorMessage, pingMessage, resyncMessage]);
export type LiveMessage = z.infer<typeof liveMessageSchema>;
export type LiveMessageType = LiveMessage["type"];

export type LiveServerMessage = Extract<LiveMessage, { type: "snapshot" | "run" | "job" | "pong" | "error" }>;
export type LiveClientMessage = Extract<LiveMessage, { type: "ping" | "resync" }>;
/** What coordinators hand to LiveHub.publish(). */
export type LiveUpdate = Extract<LiveMessage, { type: "run" | "job" }>;

export const liveClientMessageSchema = z.discriminatedUnion("type", [pingMessage, resyncMessage]);

// Exact frames for the hub's auto-response, which answers pings while it hibernates.
export const PING_FRAME = JSON.stringify({ type: "ping" } satisfies LiveClientMessage);
export const PONG_FRAME = JSON.stringify({ type: "pong" } satisfies LiveServerMessage);

// The browser cannot set headers on a WebSocket: it offers ["bearer", "<API token>"] as subprotocols and the
// server answers with "bearer". `?token=` is refused: it would land in access logs and browser history.
export const LIVE_BEARER_PROTOCOL = "bearer";
