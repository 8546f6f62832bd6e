import { api, type ApiClient } from "../lib/api";
import { SaveState } from "./save-state.svelte";
import type { Settings } from "../../../worker/schemas/types";
import type { SettingsState } from "./settings.svelte";

// The Settings page's "OpenTelemetry" section: where traces and metrics are exported, with which headers.
// Header values are write-only: a row shows the stored value's hint and keeps it when left blank.

export interface TelemetryHeaderDraft {
  name: string;
  value: string;
  // The stored value's hint; null for a header added here.
  hint: string | null;
}

export class TelemetrySettingsState {
  readonly save = new SaveState();
  endpoint = $state("");
  serviceName = $state("");
  headers: TelemetryHeaderDraft[] = $state([]);
  // The stored setting last taken into the form, as JSON: the settings arrive as reactive proxies.
  #adopted: string | null = null;
  readonly #settings: SettingsState;
  readonly #client: Pick<ApiClient, "updateSettings">;

  constructor(settings: SettingsState, client: Pick<ApiClient, "updateSettings"> = api) {
    this.#settings = settings;
    this.#client = client;
  }

  /** Takes the stored setting into the form once it is loaded (and again after a save). */
  adopt(current: Settings["telemetry"]): void {
    const key = JSON.stringify(current);
    if (this.#adopted === key) return;
    this.#adopted = key;
    this.endpoint = current.endpoint ?? "";
    this.serviceName = current.service_name;
    this.headers = current.headers.map(({ name, value_hint }) => ({ name, value: "", hint: value_hint }));
  }

  addHeader(): void {
    this.headers.push({ name: "", value: "", hint: null });
  }

  removeHeader(index: number): void {
    this.headers.splice(index, 1);
  }

  submit(): Promise<boolean> {
    return this.save.run(async () => {
      const endpoint = this.endpoint.trim();
      const headers = this.headers
        .filter((header) => header.name.trim() !== "" || header.value !== "")
        .map((header) => (header.value === "" ? { name: header.name.trim() } : { name: header.name.trim(), value: header.value }));
      const settings = await this.#client.updateSettings({
        telemetry: {
          endpoint: endpoint === "" ? null : endpoint,
          headers,
          ...(this.serviceName.trim() === "" ? {} : { service_name: this.serviceName.trim() }),
        },
      });
      this.#settings.settings.confirm(settings);
      this.adopt(settings.telemetry);
      return settings.telemetry.endpoint === null
        ? "OpenTelemetry export off."
        : "Saved: traces and metrics go to this endpoint from the next run step on (other instances within 30 seconds).";
    });
  }
}
