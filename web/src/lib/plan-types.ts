import type { z } from "@hono/zod-openapi";
import type { applyRunResponseSchema, runPlanSchema } from "../../../worker/schemas/runs";

// GET /api/runs/{id}/plan and POST /api/runs/{id}/apply, typed by the worker's schemas (type-only).
export type RunPlan = z.infer<typeof runPlanSchema>;
export type PlanState = RunPlan["state"];
export type PlanConnection = RunPlan["connections"][number];
export type ApplyRunResponse = z.infer<typeof applyRunResponseSchema>;
