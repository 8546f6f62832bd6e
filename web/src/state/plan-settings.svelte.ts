import { api, type ApiClient } from "../lib/api";
import { SaveState } from "./save-state.svelte";
import type { SettingsState } from "./settings.svelte";

// The Settings page's "Dry run plans" section: how many hours a dry run's plan may be applied after it finished.
export class PlanSettingsState {
  readonly save = new SaveState();
  // What the admin typed; null shows the stored value.
  #draft: string | null = $state(null);
  readonly #settings: SettingsState;
  readonly #client: Pick<ApiClient, "updateSettings">;

  constructor(settings: SettingsState, client: Pick<ApiClient, "updateSettings"> = api) {
    this.#settings = settings;
    this.#client = client;
  }

  get ttlHours(): string {
    const state = this.#settings.settings.state;
    return this.#draft ?? (state.kind === "ready" ? String(state.data.plans.ttl_hours) : "");
  }

  set ttlHours(value: string) {
    this.#draft = value;
  }

  submit(): Promise<boolean> {
    return this.save.run(async () => {
      const text = this.ttlHours.trim();
      // Sent as typed (NaN becomes null in JSON): the API names the field when it is not a whole number in range.
      const settings = await this.#client.updateSettings({ plans: { ttl_hours: text === "" ? Number.NaN : Number(text) } });
      this.#settings.settings.state = { kind: "ready", data: settings, refreshing: false };
      this.#draft = null;
      const hours = settings.plans.ttl_hours;
      return `Saved: a dry run can be applied for ${hours} ${hours === 1 ? "hour" : "hours"} after it finishes.`;
    });
  }
}
