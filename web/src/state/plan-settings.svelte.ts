import { api, type ApiClient } from "../lib/api";
import { PLAN_TTL_HOURS, planSettingsOf } from "../lib/plan-types";
import { SaveState } from "./save-state.svelte";
import type { SettingsState } from "./settings.svelte";

// The Settings page's "Dry run plans" section: how many hours a dry run's plan may be applied after it finished.
export class PlanSettingsState {
  readonly save = new SaveState();
  // What the admin typed; null shows the stored value.
  #draft: string | null = $state(null);
  readonly #settings: SettingsState;
  readonly #client: Pick<ApiClient, "updatePlanSettings">;

  constructor(settings: SettingsState, client: Pick<ApiClient, "updatePlanSettings"> = api) {
    this.#settings = settings;
    this.#client = client;
  }

  get stored(): number {
    const state = this.#settings.settings.state;
    return (state.kind === "ready" ? planSettingsOf(state.data)?.ttl_hours : undefined) ?? PLAN_TTL_HOURS.fallback;
  }

  get ttlHours(): string {
    return this.#draft ?? String(this.stored);
  }

  set ttlHours(value: string) {
    this.#draft = value;
  }

  submit(): Promise<boolean> {
    return this.save.run(async () => {
      const text = this.ttlHours.trim();
      // Sent as typed (NaN becomes null in JSON): the API names the field when it is not a whole number in range.
      const settings = await this.#client.updatePlanSettings({ ttl_hours: text === "" ? Number.NaN : Number(text) });
      this.#settings.settings.state = { kind: "ready", data: settings, refreshing: false };
      this.#draft = null;
      const hours = planSettingsOf(settings)?.ttl_hours ?? this.stored;
      return `Saved: a dry run can be applied for ${hours} ${hours === 1 ? "hour" : "hours"} after it finishes.`;
    });
  }
}
