import { api, type ApiClient } from "../lib/api";
import { SaveState } from "./save-state.svelte";
import type { SettingsState } from "./settings.svelte";

// The Settings page's "Auto-pause" section: after how many failed jobs in a row a connection is paused (0 = never).
export class AutoPauseSettingsState {
  readonly save = new SaveState();
  // What the admin typed; null shows the stored value.
  #draft: string | null = $state(null);
  readonly #settings: SettingsState;
  readonly #client: Pick<ApiClient, "updateSettings">;

  constructor(settings: SettingsState, client: Pick<ApiClient, "updateSettings"> = api) {
    this.#settings = settings;
    this.#client = client;
  }

  get failedRuns(): string {
    const state = this.#settings.settings.state;
    return this.#draft ?? (state.kind === "ready" ? String(state.data.connections.pause_after_failed_runs) : "");
  }

  set failedRuns(value: string) {
    this.#draft = value;
  }

  submit(): Promise<boolean> {
    return this.save.run(async () => {
      const text = this.failedRuns.trim();
      // Sent as typed (NaN becomes null in JSON): the API names the field when it is not a whole number in range.
      const settings = await this.#client.updateSettings({ connections: { pause_after_failed_runs: text === "" ? Number.NaN : Number(text) } });
      this.#settings.settings.state = { kind: "ready", data: settings, refreshing: false };
      this.#draft = null;
      const runs = settings.connections.pause_after_failed_runs;
      if (runs === 0) return "Saved: connections are never paused for failed runs.";
      return `Saved: a connection is paused after ${runs} failed ${runs === 1 ? "run" : "runs"} in a row.`;
    });
  }
}
