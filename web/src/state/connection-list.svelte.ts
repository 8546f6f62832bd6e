import { api, asApiError, type ApiError } from "../lib/api";
import { Resource } from "../lib/resource.svelte";
import type { ConnectionSummary } from "../../../worker/schemas/types";
import type { ConnectionStats } from "../../../worker/schemas/stats";

export type RowBusy = "moving" | "toggling";

// The Connections page: the list in execution order, each connection's recent jobs, and the two
// changes made from the list itself (order and dry run).
export class ConnectionListState {
  list = new Resource<ConnectionSummary[]>((signal) => api.listConnections(signal));
  // Loaded apart: a failing stats query must not hide the list.
  stats = new Resource<Map<string, ConnectionStats>>(async (signal) => {
    const report = await api.connectionStats(signal);
    return new Map(report.connections.map((entry) => [entry.id, entry]));
  });
  busy: Record<string, RowBusy> = $state({});
  rowErrors: Record<string, ApiError> = $state({});
  // Read out by a polite live region after a move or toggle.
  announcement = $state("");

  load(): void {
    void this.list.reload();
    void this.stats.reload();
  }

  // Read again while the page stays open (a freshness deadline passed, a run finished): both keep showing meanwhile.
  refresh(): void {
    if (this.list.state.kind === "ready") void this.list.reload();
    if (this.stats.state.kind === "ready") void this.stats.reload();
  }

  #replace(updated: readonly ConnectionSummary[]): void {
    if (this.list.state.kind !== "ready") return;
    const byId = new Map(updated.map((connection) => [connection.id, connection]));
    const data = this.list.state.data.map((connection) => byId.get(connection.id) ?? connection);
    this.list.confirm(data);
  }

  #clearRow(id: string): void {
    delete this.rowErrors[id];
  }

  // One request per move: the credential's whole order, with the two neighbours swapped.
  async move(ordered: readonly ConnectionSummary[], index: number, delta: -1 | 1): Promise<void> {
    const moving = ordered[index];
    const other = ordered[index + delta];
    if (!moving || !other || this.busy[moving.id]) return;
    const ids = ordered.map((connection) => connection.id);
    ids[index] = other.id;
    ids[index + delta] = moving.id;
    this.busy[moving.id] = "moving";
    this.#clearRow(moving.id);
    try {
      const { data } = await api.reorderConnections(moving.credential_id, ids);
      this.#replace(data);
      const now = data.find((connection) => connection.id === moving.id);
      this.announcement = `Moved ${moving.name} to position ${now?.position ?? index + delta + 1} of ${data.length}.`;
    } catch (error) {
      this.rowErrors[moving.id] = asApiError(error);
    } finally {
      delete this.busy[moving.id];
    }
  }

  async toggleDryRun(connection: ConnectionSummary): Promise<void> {
    if (this.busy[connection.id]) return;
    this.busy[connection.id] = "toggling";
    this.#clearRow(connection.id);
    const dryRun = !connection.dry_run;
    try {
      const updated = await api.updateConnection(connection.id, {
        dry_run: dryRun,
        expected_version: connection.version,
        change_note: dryRun ? "Dry run on" : "Dry run off",
      });
      this.#replace([updated]);
      this.announcement = `Dry run ${dryRun ? "on" : "off"} for ${connection.name} (version ${updated.version}).`;
    } catch (error) {
      this.rowErrors[connection.id] = asApiError(error);
    } finally {
      delete this.busy[connection.id];
    }
  }
}
