import { api, asApiError, downloadFile, type ApiClient, type ApiError } from "../lib/api";
import type { ConfigApplyResult, ConfigFormat, ConfigPlan } from "../../../worker/schemas/config-as-code";

// The Settings page's "Configuration as code" section: export the configuration as a document, preview what a
// pasted or uploaded document would change, then apply that plan (admins).

type Client = Pick<ApiClient, "exportConfig" | "planConfig" | "applyConfig">;

export type PreviewState = { kind: "idle" } | { kind: "loading" } | { kind: "ready"; plan: ConfigPlan; document: string } | { kind: "failed"; error: ApiError };

export class ConfigAsCodeState {
  document = $state("");
  changeNote = $state("");
  // Secret values typed for the plan's references, by name.
  secrets: Record<string, string> = $state({});
  preview: PreviewState = $state({ kind: "idle" });
  exporting: ConfigFormat | null = $state(null);
  exportError: ApiError | null = $state(null);
  applying = $state(false);
  applyError: ApiError | null = $state(null);
  applied: ConfigApplyResult | null = $state(null);
  readonly #client: Client;

  constructor(client: Client = api) {
    this.#client = client;
  }

  // The preview no longer shows this text once it is edited: apply needs a fresh preview.
  get stale(): boolean {
    return this.preview.kind === "ready" && this.preview.document !== this.document;
  }

  async download(format: ConfigFormat, today = new Date()): Promise<void> {
    this.exporting = format;
    this.exportError = null;
    try {
      const text = await this.#client.exportConfig(format);
      downloadFile(text, `outbound-sync-config-${today.toISOString().slice(0, 10)}.${format}`, format === "yaml" ? "text/yaml" : "application/json");
    } catch (error) {
      this.exportError = asApiError(error);
    } finally {
      this.exporting = null;
    }
  }

  // Into the editor, to edit and preview here.
  async load(): Promise<void> {
    this.exportError = null;
    try {
      this.document = await this.#client.exportConfig("yaml");
    } catch (error) {
      this.exportError = asApiError(error);
    }
  }

  async previewChanges(): Promise<void> {
    const document = this.document;
    this.preview = { kind: "loading" };
    this.applied = null;
    this.applyError = null;
    try {
      const plan = await this.#client.planConfig({ document, format: formatOf(document) });
      this.preview = { kind: "ready", plan, document };
    } catch (error) {
      this.preview = { kind: "failed", error: asApiError(error) };
    }
  }

  async apply(): Promise<boolean> {
    if (this.preview.kind !== "ready" || this.stale || this.applying) return false;
    const { plan, document } = this.preview;
    this.applying = true;
    this.applyError = null;
    try {
      const secrets = Object.fromEntries(Object.entries(this.secrets).filter(([name, value]) => value !== "" && plan.secrets.some((s) => s.name === name)));
      const note = this.changeNote.trim();
      this.applied = await this.#client.applyConfig({
        document,
        format: formatOf(document),
        plan_id: plan.plan_id,
        secrets,
        ...(note === "" ? {} : { change_note: note }),
      });
      this.preview = { kind: "idle" };
      this.secrets = {};
      this.changeNote = "";
      return true;
    } catch (error) {
      this.applyError = asApiError(error);
      return false;
    } finally {
      this.applying = false;
    }
  }
}

// JSON text starts with a brace; anything else is read as YAML (which reads JSON too).
function formatOf(text: string): ConfigFormat {
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}
