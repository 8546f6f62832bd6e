import { asApiError, isAbort, type ApiError } from "./api";

export type Loadable<T> = { kind: "idle" } | { kind: "loading" } | { kind: "ready"; data: T; refreshing: boolean } | { kind: "failed"; error: ApiError };

export type Loader<T> = (signal: AbortSignal) => Promise<T>;

// One remote value with its loading and error states; a reload keeps showing the last data.
export class Resource<T> {
  state: Loadable<T> = $state({ kind: "idle" });
  #load: Loader<T>;
  #controller: AbortController | null = null;

  constructor(load: Loader<T>) {
    this.#load = load;
  }

  ensureLoaded(): void {
    if (this.state.kind === "idle") void this.reload();
  }

  /**
   * Shows what a change's answer says the value now is. A read already on its way may have been answered before the
   * change and would put the old value back when it lands: it is dropped and the value read again.
   */
  confirm(data: T): void {
    const reading = this.state.kind === "ready" && this.state.refreshing;
    this.state = { kind: "ready", data, refreshing: false };
    if (reading) void this.reload();
  }

  async reload(): Promise<void> {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    this.state = this.state.kind === "ready" ? { ...this.state, refreshing: true } : { kind: "loading" };
    try {
      const data = await this.#load(controller.signal);
      if (this.#controller === controller) this.state = { kind: "ready", data, refreshing: false };
    } catch (error) {
      // A newer reload superseded this one; its own outcome will land.
      if (isAbort(error) || this.#controller !== controller) return;
      this.state = { kind: "failed", error: asApiError(error) };
    }
  }
}
