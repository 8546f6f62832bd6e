import { api, type ApiClient } from "../lib/api";
import { NumberSettingState } from "./number-setting.svelte";
import type { SettingsState } from "./settings.svelte";

// The Settings page's "Auto-pause" section: after how many failed jobs in a row a connection is paused (0 = never).
export class AutoPauseSettingsState extends NumberSettingState {
  constructor(settings: SettingsState, client: Pick<ApiClient, "updateSettings"> = api) {
    super(
      settings,
      {
        read: (stored) => stored.connections.pause_after_failed_runs,
        body: (runs) => ({ connections: { pause_after_failed_runs: runs } }),
        saved: (stored) => {
          const runs = stored.connections.pause_after_failed_runs;
          if (runs === 0) return "Saved: connections are never paused for failed runs.";
          return `Saved: a connection is paused after ${runs} failed ${runs === 1 ? "run" : "runs"} in a row.`;
        },
      },
      client,
    );
  }
}
