import { assertNever } from "../../../shared/lang";
import { formatCount, formatShortAbsolute } from "./format";
import type { PlanConnection, PlanState, RunPlan } from "./plan-types";

// Why a dry run's plan cannot be applied, in the dashboard's words (null when it can).
export function planBlocker(plan: RunPlan): string | null {
  const state: PlanState = plan.state;
  switch (state) {
    case "ready":
      return null;
    case "expired":
      return `This plan expired${plan.expires_at ? ` at ${formatShortAbsolute(plan.expires_at)}` : ""}: run a new dry run and review it.`;
    case "outdated": {
      const changed = outdatedConnections(plan.connections)
        .map((connection) =>
          connection.current_version === null
            ? `${connection.connection_name} (deleted)`
            : `${connection.connection_name} (version ${connection.planned_version} → ${connection.current_version})`,
        )
        .join(", ");
      return `The configuration changed since this dry run${changed ? `: ${changed}` : ""}. Run a new dry run and review it.`;
    }
    case "applied":
      return "This dry run was already applied.";
    case "empty":
      return "Nothing to apply: this dry run found no record to update.";
    case "not_finished":
      return "The dry run is still running: its plan can be applied when it finishes.";
    case "not_dry":
      return "Only a dry run has a plan to apply.";
    default:
      return assertNever(state);
  }
}

export function outdatedConnections(connections: readonly PlanConnection[]): PlanConnection[] {
  return connections.filter((connection) => connection.planned_version !== connection.current_version);
}

export function plannedWrites(plan: Pick<RunPlan, "connections">): number {
  return plan.connections.reduce((total, connection) => total + connection.would_update, 0);
}

export function recordsText(n: number): string {
  return `${formatCount(n)} ${n === 1 ? "record" : "records"}`;
}
