import { api, asApiError, type ApiError } from "../lib/api";
import { Resource } from "../lib/resource.svelte";
import { SaveState } from "./save-state.svelte";
import type { ApiTokenSummary, CreatedApiToken, Role, Settings, UpdateSettingsBody } from "../../../worker/schemas/types";
import type { RetentionPlan, LogExportInput } from "../../../worker/schemas/settings";

export type LogExportTarget = LogExportInput["target"];

export interface LogExportDraft {
  target: LogExportTarget;
  bucket_binding: string;
  prefix: string;
  endpoint: string;
  bucket: string;
  region: string;
  access_key_id: string;
  secret_access_key: string;
}

function logExportDraft(current: Settings["log_export"]): LogExportDraft {
  return {
    target: current.target,
    bucket_binding: current.target === "r2" ? current.bucket_binding : "LOG_EXPORT",
    prefix: current.target === "none" ? "outbound-sync/" : current.prefix,
    endpoint: current.target === "s3" ? current.endpoint : "",
    bucket: current.target === "s3" ? current.bucket : "",
    region: current.target === "s3" ? current.region : "auto",
    access_key_id: current.target === "s3" ? current.access_key_id : "",
    secret_access_key: "",
  };
}

export function logExportBody(draft: LogExportDraft): LogExportInput {
  switch (draft.target) {
    case "none":
      return { target: "none" };
    case "r2":
      return { target: "r2", bucket_binding: draft.bucket_binding.trim(), prefix: draft.prefix.trim() };
    case "s3": {
      const secret = draft.secret_access_key.trim();
      return {
        target: "s3",
        endpoint: draft.endpoint.trim(),
        bucket: draft.bucket.trim(),
        region: draft.region.trim() || "auto",
        prefix: draft.prefix.trim(),
        access_key_id: draft.access_key_id.trim(),
        ...(secret === "" ? {} : { secret_access_key: secret }),
      };
    }
  }
}

export class SettingsState {
  settings = new Resource((signal) => api.getSettings(signal));
  retention = new Resource((signal) => api.getRetention(signal));
  plan: RetentionPlan = $state("professional");
  customDays = $state("");
  exportDraft: LogExportDraft = $state(logExportDraft({ target: "none" }));
  planSave = new SaveState();
  exportSave = new SaveState();
  purge = new SaveState();

  async load(): Promise<void> {
    await Promise.all([this.settings.reload(), this.retention.reload()]);
    if (this.settings.state.kind !== "ready") return;
    this.#adoptRetention(this.settings.state.data);
    this.#adoptExport(this.settings.state.data);
  }

  // Each section's save takes back its own draft only: another section's unsaved edits stay as typed.
  #adoptRetention(settings: Settings): void {
    this.plan = settings.retention.plan;
    this.customDays = settings.retention.custom_days === null ? "" : String(settings.retention.custom_days);
  }

  #adoptExport(settings: Settings): void {
    this.exportDraft = logExportDraft(settings.log_export);
  }

  #settled(settings: Settings): void {
    this.settings.confirm(settings);
    void this.retention.reload();
  }

  savePlan(): Promise<boolean> {
    return this.planSave.run(async () => {
      const days = this.customDays.trim() === "" ? Number.NaN : Number(this.customDays);
      const retention: UpdateSettingsBody["retention"] = this.plan === "custom" ? { plan: "custom", custom_days: days } : { plan: this.plan };
      const settings = await api.updateSettings({ retention });
      this.#settled(settings);
      this.#adoptRetention(settings);
      return `Retention plan saved: history older than ${settings.retention.days} days is purged daily.`;
    });
  }

  saveExport(): Promise<boolean> {
    return this.exportSave.run(async () => {
      const settings = await api.updateSettings({ log_export: logExportBody(this.exportDraft) });
      this.#settled(settings);
      this.#adoptExport(settings);
      return settings.log_export.target === "none" ? "Log export is off." : "Log export saved: each day's jobs and logs are written before they are purged.";
    });
  }

  runRetentionNow(): Promise<boolean> {
    return this.purge.run(async () => {
      const result = await api.runRetention();
      void this.retention.reload();
      const deleted = Object.values(result.deleted).reduce((sum, count) => sum + count, 0);
      return result.error
        ? `The purge stopped: ${result.error}`
        : `Retention ran (${result.status.replace(/_/g, " ")}): ${deleted.toLocaleString("en")} rows deleted.`;
    });
  }
}

// Lifetimes offered on create ("never" or days); the API takes 1 to 365 days.
export const TOKEN_LIFETIMES = ["never", "7", "30", "90", "365"] as const;
export type TokenLifetime = (typeof TOKEN_LIFETIMES)[number];

export function tokenExpired(token: ApiTokenSummary, now: number): boolean {
  return token.expires_at !== null && Date.parse(token.expires_at) <= now;
}

export class TokensState {
  tokens = new Resource<ApiTokenSummary[]>(async (signal) => (await api.listTokens(signal)).data);
  name = $state("");
  role: Role = $state("viewer");
  lifetime: TokenLifetime = $state("never");
  created: CreatedApiToken | null = $state(null);
  createSave = new SaveState();
  revoking: string | null = $state(null);
  revokeErrors: Record<string, ApiError> = $state({});

  create(): Promise<boolean> {
    return this.createSave.run(async () => {
      const expiry = this.lifetime === "never" ? {} : { expires_in_days: Number(this.lifetime) };
      const created = await api.createToken({ name: this.name.trim(), role: this.role, ...expiry });
      this.created = created;
      this.name = "";
      void this.tokens.reload();
      return `Created ${created.role} token "${created.name}".`;
    });
  }

  async revoke(token: ApiTokenSummary): Promise<void> {
    this.revoking = token.id;
    delete this.revokeErrors[token.id];
    try {
      const revoked = await api.revokeToken(token.id);
      if (this.tokens.state.kind === "ready") {
        const data = this.tokens.state.data.map((entry) => (entry.id === revoked.id ? revoked : entry));
        this.tokens.confirm(data);
      }
    } catch (error) {
      this.revokeErrors[token.id] = asApiError(error);
    } finally {
      this.revoking = null;
    }
  }
}
