import { api, asApiError, type ApiError, type LookupContract } from "../lib/api";
import { runs } from "./runs.svelte";
import type { RunDetail } from "../../../worker/schemas/runs";
import type { DatasetUploadIssue, DatasetUploadResult, TestLookupResult, UploadMode } from "../../../worker/schemas/types";

// Commands run from a connection's page. Each keeps its own outcome, shown beside its own button.

export class TestLookupState {
  serial = $state("DEV-00001");
  // Which side to look in: the destination through the fetch contract, or the source.
  contract: LookupContract = $state("fetch");
  // The side the shown result is from.
  resultContract: LookupContract = $state("fetch");
  running = $state(false);
  result: TestLookupResult | null = $state(null);
  // The serial the shown result is for; the field may have changed since.
  resultSerial = $state("");
  error: ApiError | null = $state(null);
  #controller: AbortController | null = null;

  async run(connectionId: string): Promise<void> {
    const serial = this.serial.trim();
    if (serial === "") {
      this.error = asApiError(new Error("Enter a serial to look up."));
      return;
    }
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    this.running = true;
    this.error = null;
    try {
      const contract = this.contract;
      this.result = await api.testLookup(connectionId, serial, contract, controller.signal);
      this.resultSerial = serial;
      this.resultContract = contract;
    } catch (error) {
      if (controller.signal.aborted) return;
      this.result = null;
      this.error = asApiError(error);
    } finally {
      if (this.#controller === controller) this.running = false;
    }
  }
}

export type RunCommand = "sync" | "reset" | "reset_resync";

export interface RunCommandOutcome {
  command: RunCommand;
  run: RunDetail | null;
}

export class RunCommandsState {
  pending: RunCommand | null = $state(null);
  outcome: RunCommandOutcome | null = $state(null);
  error: ApiError | null = $state(null);

  async #do(command: RunCommand, call: () => Promise<RunDetail | null>): Promise<boolean> {
    if (this.pending) return false;
    this.pending = command;
    this.error = null;
    this.outcome = null;
    try {
      const run = await call();
      // Shared with the jobs pages, so the live feed moves its status here too.
      if (run) runs.remember(run);
      this.outcome = { command, run };
      return true;
    } catch (error) {
      this.error = asApiError(error);
      return false;
    } finally {
      this.pending = null;
    }
  }

  syncNow(connectionId: string): Promise<boolean> {
    return this.#do("sync", () => api.syncNow(connectionId));
  }

  reset(connectionId: string, resync: boolean): Promise<boolean> {
    return this.#do(resync ? "reset_resync" : "reset", async () => (await api.resetConnection(connectionId, resync)).run);
  }
}

const FORMAT_BY_EXTENSION: Record<string, string> = {
  json: "application/json",
  ndjson: "application/x-ndjson",
  jsonl: "application/x-ndjson",
  csv: "text/csv",
};

// The upload's media type from the file name, which is more reliable than what browsers guess for .ndjson.
export function uploadContentType(fileName: string, browserType: string): string | null {
  const extension = fileName.split(".").pop()?.toLowerCase() ?? "";
  return FORMAT_BY_EXTENSION[extension] ?? (Object.values(FORMAT_BY_EXTENSION).includes(browserType) ? browserType : null);
}

// An upload's 400 lists each bad record; its items carry line or index beside path and message.
function uploadIssues(error: ApiError): DatasetUploadIssue[] {
  return error.code === "validation_failed" ? (error.details as readonly DatasetUploadIssue[]).slice() : [];
}

export class DatasetUploadState {
  mode: UploadMode = $state("merge");
  running = $state(false);
  result: DatasetUploadResult | null = $state(null);
  error: ApiError | null = $state(null);
  issues: DatasetUploadIssue[] = $state([]);

  async upload(connectionId: string, file: File): Promise<void> {
    this.result = null;
    this.error = null;
    this.issues = [];
    const contentType = uploadContentType(file.name, file.type);
    if (contentType === null) {
      this.error = asApiError(new Error(`"${file.name}" is not a .json, .ndjson or .csv file.`));
      return;
    }
    this.running = true;
    try {
      this.result = await api.uploadDataset(connectionId, await file.text(), contentType, this.mode);
    } catch (error) {
      this.error = asApiError(error);
      this.issues = uploadIssues(this.error);
    } finally {
      this.running = false;
    }
  }
}
