import { api, type ApiClient } from "../lib/api";
import { SaveState } from "./save-state.svelte";
import type { SettingsState } from "./settings.svelte";

// The Settings page's "Scheduler heartbeat" section: a URL the minute tick calls, so an outside monitor notices
// when the scheduler stops.
export class HeartbeatSettingsState {
  readonly save = new SaveState();
  // What the admin typed; null shows the stored value.
  #draft: string | null = $state(null);
  readonly #settings: SettingsState;
  readonly #client: Pick<ApiClient, "updateSettings">;

  constructor(settings: SettingsState, client: Pick<ApiClient, "updateSettings"> = api) {
    this.#settings = settings;
    this.#client = client;
  }

  get url(): string {
    const state = this.#settings.settings.state;
    return this.#draft ?? (state.kind === "ready" ? (state.data.heartbeat.url ?? "") : "");
  }

  set url(value: string) {
    this.#draft = value;
  }

  submit(): Promise<boolean> {
    return this.save.run(async () => {
      const text = this.url.trim();
      const settings = await this.#client.updateSettings({ heartbeat: { url: text === "" ? null : text } });
      this.#settings.settings.state = { kind: "ready", data: settings, refreshing: false };
      this.#draft = null;
      return settings.heartbeat.url === null ? "Heartbeat off: no URL is called." : "Saved: the URL is called on every minute tick from the next one on.";
    });
  }
}
