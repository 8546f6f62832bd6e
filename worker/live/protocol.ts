import { z } from "@hono/zod-openapi";
import { jobSummarySchema, runSummarySchema } from "../schemas/runs";

// Every message of GET /api/live, both directions, as JSON text frames. web/ imports the types (type-only).
//
// A socket follows one feed, chosen when it opens: the runs feed (GET /api/live) carries every credential's
// runs without their jobs (new runs and status changes, for lists), a credential's feed
// (GET /api/live?credential=<id>) carries that credential's runs with their jobs and every job's progress.
// Server → client: `snapshot` first on every connect and on `resync` — the feed's active runs (pending and
// running; with their jobs on a credential's feed), which replace what the client held for that feed — then
// `run` and `job` deltas, each carrying the whole row as GET /api/runs/{id} shows it. A run of the feed
// missing from a snapshot has finished; a delta for an unknown run adds it. `seq` grows with every message
// about a run or job: the hub drops a message older than one it already holds.
// Client → server: `ping` (answered with `pong` without waking the hub) and `resync`.

const snapshotRunSchema = runSummarySchema.extend({
  // Present on a credential's feed; the runs feed carries runs only.
  jobs: z.array(jobSummarySchema).optional(),
});
const snapshotMessage = z.object({
  type: z.literal("snapshot"),
  // The feed this snapshot stands for: null for the runs feed (every credential), else that credential.
  credential_id: z.string().nullable(),
  runs: z.array(snapshotRunSchema),
  at: z.string().openapi({ format: "date-time" }),
});
const sequence = z.number().int().nonnegative().openapi({ description: "Orders the messages about one run or job." });
const runMessage = z.object({
  type: z.literal("run"),
  run: runSummarySchema,
  // Present when the job list itself changed (e.g. a new run): it replaces the client's list for that run.
  jobs: z.array(jobSummarySchema).optional(),
  seq: sequence,
});
const jobMessage = z.object({ type: z.literal("job"), job: jobSummarySchema, seq: sequence });
const pongMessage = z.object({ type: z.literal("pong") });
const errorMessage = z.object({ type: z.literal("error"), code: z.string(), message: z.string() });
const pingMessage = z.object({ type: z.literal("ping") });
const resyncMessage = z.object({ type: z.literal("resync") });

export const liveMessageSchema = z.discriminatedUnion("type", [snapshotMessage, runMessage, jobMessage, pongMessage, errorMessage, pingMessage, resyncMessage]);
export type LiveMessage = z.infer<typeof liveMessageSchema>;
export type LiveMessageType = LiveMessage["type"];
export type LiveSnapshotRun = z.infer<typeof snapshotRunSchema>;

export type LiveServerMessage = Extract<LiveMessage, { type: "snapshot" | "run" | "job" | "pong" | "error" }>;
export type LiveClientMessage = Extract<LiveMessage, { type: "ping" | "resync" }>;
/** What coordinators hand to LiveHub.publish(). */
export type LiveUpdate = Extract<LiveMessage, { type: "run" | "job" }>;

export const liveClientMessageSchema = z.discriminatedUnion("type", [pingMessage, resyncMessage]);

// Exact frames for the hub's auto-response, which answers pings while it hibernates.
export const PING_FRAME = JSON.stringify({ type: "ping" } satisfies LiveClientMessage);
export const PONG_FRAME = JSON.stringify({ type: "pong" } satisfies LiveServerMessage);

// The shape a credential feed's parameter must have.
export const LIVE_CREDENTIAL_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
