import { api, asApiError, type ApiError, type CreateRunRequest } from "../lib/api";
import { router } from "../lib/router.svelte";
import type { RunMode } from "../lib/run-types";
import { estimateLiveRun, type LiveEstimate } from "./dashboard.svelte";
import { runs } from "./runs.svelte";
import { dashboardPaths } from "../../../shared/dashboard-paths";

// The job whose serial is retried: a Single run of the serial on the same connection.
export interface RetryScope {
  credentialId: string;
  credentialName: string;
  connectionId: string;
}

export type RetryEstimate = { kind: "loading" } | { kind: "ready"; value: LiveEstimate } | { kind: "failed"; message: string };

// "Retry this serial" from a record outcome or a request: a live retry waits for the same confirmation as any
// live run; once started, the page moves to the new run's job.
export class RetrySerialState {
  // A live retry awaiting confirmation.
  pending: CreateRunRequest | null = $state(null);
  estimate: RetryEstimate = $state({ kind: "loading" });
  starting: string | null = $state(null);
  error: { serial: string; error: ApiError } | null = $state(null);
  readonly #scope: () => RetryScope | null;

  constructor(scope: () => RetryScope | null) {
    this.#scope = scope;
  }

  get credentialName(): string {
    return this.#scope()?.credentialName ?? "";
  }

  get available(): boolean {
    return this.#scope() !== null;
  }

  async retry(serial: string, mode: RunMode): Promise<void> {
    const scope = this.#scope();
    if (!scope || this.starting !== null) return;
    const request: CreateRunRequest = { credential_id: scope.credentialId, type: "single", serial, mode, connection_ids: [scope.connectionId] };
    this.error = null;
    if (mode === "dry") return this.#start(request);
    this.pending = request;
    this.estimate = { kind: "loading" };
    try {
      this.estimate = { kind: "ready", value: await estimateLiveRun(scope.credentialId, "single", serial) };
    } catch (error) {
      this.estimate = { kind: "failed", message: asApiError(error).message };
    }
  }

  confirm(): Promise<void> {
    const request = this.pending;
    this.pending = null;
    return request ? this.#start(request) : Promise.resolve();
  }

  cancel(): void {
    this.pending = null;
  }

  async #start(request: CreateRunRequest): Promise<void> {
    const serial = request.serial ?? "";
    this.starting = serial;
    try {
      const run = await api.startRun(request);
      runs.remember(run);
      const job = run.jobs[0];
      router.navigate(job ? dashboardPaths.job(job.id) : dashboardPaths.run(run.id));
    } catch (error) {
      this.error = { serial, error: asApiError(error) };
    } finally {
      this.starting = null;
    }
  }
}
