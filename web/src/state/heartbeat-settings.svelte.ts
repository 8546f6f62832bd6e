import { api, type ApiClient } from "../lib/api";
import { SaveState } from "./save-state.svelte";
import type { SettingsState } from "./settings.svelte";

// The Settings page's "Scheduler heartbeat" section: a URL the minute tick calls, so an outside monitor notices
// when the scheduler stops. The URL is write-only (it carries the monitor's token): the field starts blank,
// a blank save keeps the stored one, and Turn off removes it.
export class HeartbeatSettingsState {
  readonly save = new SaveState();
  url = $state("");
  readonly #settings: SettingsState;
  readonly #client: Pick<ApiClient, "updateSettings">;

  constructor(settings: SettingsState, client: Pick<ApiClient, "updateSettings"> = api) {
    this.#settings = settings;
    this.#client = client;
  }

  get configured(): boolean {
    const state = this.#settings.settings.state;
    return state.kind === "ready" && state.data.heartbeat.configured;
  }

  submit(): Promise<boolean> {
    const text = this.url.trim();
    if (text === "") {
      return this.save.run(async () =>
        this.configured ? "Nothing to save: the URL set is kept. Enter a new one to replace it." : "Nothing to save: enter a URL to turn the heartbeat on.",
      );
    }
    return this.#send(text);
  }

  turnOff(): Promise<boolean> {
    return this.#send(null);
  }

  #send(url: string | null): Promise<boolean> {
    return this.save.run(async () => {
      const settings = await this.#client.updateSettings({ heartbeat: { url } });
      this.#settings.settings.confirm(settings);
      this.url = "";
      return settings.heartbeat.configured ? "Saved: the URL is called on every minute tick from the next one on." : "Heartbeat off: no URL is called.";
    });
  }
}
