import { api, type ApiClient } from "../lib/api";
import { NumberSettingState } from "./number-setting.svelte";
import type { SettingsState } from "./settings.svelte";

// The Settings page's "Dry run plans" section: how many hours a dry run's plan may be applied after it finished.
export class PlanSettingsState extends NumberSettingState {
  constructor(settings: SettingsState, client: Pick<ApiClient, "updateSettings"> = api) {
    super(
      settings,
      {
        read: (stored) => stored.plans.ttl_hours,
        body: (hours) => ({ plans: { ttl_hours: hours } }),
        saved: (stored) => {
          const hours = stored.plans.ttl_hours;
          return `Saved: a dry run can be applied for ${hours} ${hours === 1 ? "hour" : "hours"} after it finishes.`;
        },
      },
      client,
    );
  }
}
