import { api, type ApiClient } from "../lib/api";
import { SaveState } from "./save-state.svelte";
import type { SettingsState } from "./settings.svelte";
import type { Settings, UpdateSettingsBody } from "../../../worker/schemas/types";

// One whole-number setting of the Settings page, edited as typed and saved on its own: what it reads from the
// settings, the body that saves a value, and what the saved settings say back.
export interface NumberSettingSpec {
  read: (settings: Settings) => number;
  body: (value: number) => UpdateSettingsBody;
  saved: (settings: Settings) => string;
}

export class NumberSettingState {
  readonly save = new SaveState();
  // What the admin typed; null shows the stored value.
  #draft: string | null = $state(null);
  readonly #settings: SettingsState;
  readonly #spec: NumberSettingSpec;
  readonly #client: Pick<ApiClient, "updateSettings">;

  constructor(settings: SettingsState, spec: NumberSettingSpec, client: Pick<ApiClient, "updateSettings"> = api) {
    this.#settings = settings;
    this.#spec = spec;
    this.#client = client;
  }

  get value(): string {
    const state = this.#settings.settings.state;
    return this.#draft ?? (state.kind === "ready" ? String(this.#spec.read(state.data)) : "");
  }

  set value(value: string) {
    this.#draft = value;
  }

  submit(): Promise<boolean> {
    return this.save.run(async () => {
      const text = this.value.trim();
      // Sent as typed (NaN becomes null in JSON): the API names the field when it is not a whole number in range.
      const settings = await this.#client.updateSettings(this.#spec.body(text === "" ? Number.NaN : Number(text)));
      this.#settings.settings.confirm(settings);
      this.#draft = null;
      return this.#spec.saved(settings);
    });
  }
}
