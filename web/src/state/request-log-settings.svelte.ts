import { api, type ApiClient } from "../lib/api";
import { NumberSettingState } from "./number-setting.svelte";
import type { SettingsState } from "./settings.svelte";

// The Settings page's "Request log" section: how many bytes of each request and response body a job keeps.
export class RequestLogSettingsState extends NumberSettingState {
  constructor(settings: SettingsState, client: Pick<ApiClient, "updateSettings"> = api) {
    super(
      settings,
      {
        read: (stored) => stored.request_log.body_excerpt_bytes,
        body: (bytes) => ({ request_log: { body_excerpt_bytes: bytes } }),
        saved: (stored) => {
          const kept = stored.request_log.body_excerpt_bytes;
          return kept === 0 ? "Request log saved: no bodies are kept." : `Request log saved: bodies are kept up to ${kept.toLocaleString("en")} bytes.`;
        },
      },
      client,
    );
  }
}
