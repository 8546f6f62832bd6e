import { z } from "zod";
import { roleAtLeast, type Principal } from "../auth/principal";
import { DomainError } from "../domain-errors";
import type { Env } from "../env";
import { applyDryRun } from "../runs/plan-service";
import { ToolInputError } from "./tool-errors";

export const APPLY_DRY_RUN_TOOL = {
  name: "apply_dry_run",
  title: "Apply a reviewed dry run",
  description:
    "Starts a live run that sends exactly the writes a finished dry run planned (its would_update serials) and nothing else. " +
    "Before each write the record is looked up again and the source read again; a serial whose destination or source changed " +
    "since the dry run is not written but reported as drifted with what changed. Refused when the dry run is not finished, " +
    "already applied, planned nothing, is older than the plan expiry, or a connection changed since. Needs the operator role. " +
    "Returns the new run; follow it with get_job_status.",
  inputSchema: {
    run_id: z.string().trim().min(1).max(100).describe("The id of the finished dry run to apply (run_…)."),
  },
};

export async function applyDryRunTool(env: Env, principal: Principal, args: { run_id: string }): Promise<Record<string, unknown>> {
  if (!roleAtLeast(principal.role, "operator")) {
    throw new ToolInputError(`apply_dry_run needs the operator role; this caller has the ${principal.role} role.`);
  }
  try {
    const { run } = await applyDryRun(env, args.run_id, principal.name, "api");
    return { run };
  } catch (error) {
    // Refusals (409s and 404 of the API) go back to the agent with their code, so it can say why.
    if (error instanceof DomainError) throw new ToolInputError(`${error.code}: ${error.message}`);
    throw error;
  }
}
