import { api, asApiError, isAbort, type ApiError } from "../lib/api";
import { snapshotOf } from "../lib/connection-config-from-draft";
import { draftFromConnection, newConnectionDraft, type ConnectionDraft } from "../lib/connection-draft";
import { draftFieldPaths } from "../lib/connection-field-paths";
import { placeIssues, validationIssues, type PlacedIssues } from "../lib/field-issues";
import { PagedList } from "../lib/paged-list.svelte";
import type { Connection, ConnectionVersion, Credential, ValidationDetail } from "../../../worker/schemas/types";

export type LoadState = { kind: "loading" } | { kind: "ready" } | { kind: "failed"; error: ApiError };

// Someone else saved first: the person chooses between reloading and keeping their edits on screen.
export interface VersionConflict {
  theirs: number;
  mine: number;
}

const fingerprint = (draft: ConnectionDraft) => JSON.stringify(snapshotOf(draft));

// One connection's editor: the loaded connection, the draft being edited, and what the last save said.
export class ConnectionEditorState {
  readonly id: string;
  load: LoadState = $state({ kind: "loading" });
  connection: Connection | null = $state(null);
  draft: ConnectionDraft = $state(newConnectionDraft());
  #baseline = $state("");
  changeNote = $state("");
  saving = $state(false);
  issues: ValidationDetail[] = $state([]);
  saveError: ApiError | null = $state(null);
  conflict: VersionConflict | null = $state(null);
  saved: string | null = $state(null);
  versions: PagedList<ConnectionVersion>;

  readonly dirty = $derived(this.load.kind === "ready" && fingerprint(this.draft) !== this.#baseline);
  readonly placed: PlacedIssues = $derived(placeIssues(this.issues, draftFieldPaths(this.draft)));

  constructor(id: string) {
    this.id = id;
    this.versions = new PagedList((cursor, signal) => api.connectionVersions(id, { cursor, limit: 20, signal }));
  }

  #adopt(connection: Connection): void {
    this.connection = connection;
    this.draft = draftFromConnection(connection);
    this.#baseline = fingerprint(this.draft);
    this.issues = [];
    this.saveError = null;
    this.conflict = null;
  }

  async reload(signal?: AbortSignal): Promise<void> {
    this.load = { kind: "loading" };
    try {
      const connection = await api.getConnection(this.id, signal);
      this.#adopt(connection);
      this.changeNote = "";
      this.load = { kind: "ready" };
    } catch (error) {
      if (isAbort(error)) return;
      this.load = { kind: "failed", error: asApiError(error) };
    }
    void this.versions.reload();
  }

  discard(): void {
    if (this.connection) this.#adopt(this.connection);
    this.saved = null;
  }

  async save(): Promise<boolean> {
    const connection = this.connection;
    if (!connection || this.saving) return false;
    this.saving = true;
    this.saved = null;
    this.saveError = null;
    this.issues = [];
    const snapshot = snapshotOf(this.draft);
    const note = this.changeNote.trim();
    try {
      const updated = await api.updateConnection(this.id, {
        ...snapshot,
        expected_version: connection.version,
        ...(note === "" ? {} : { change_note: note }),
      });
      const changed = updated.version !== connection.version;
      this.#adopt(updated);
      this.changeNote = "";
      this.saved = changed ? `Saved as version ${updated.version}.` : "Nothing changed, so no new version was recorded.";
      void this.versions.reload();
      return true;
    } catch (error) {
      const failure = asApiError(error);
      if (failure.status === 409 && failure.code === "version_conflict") {
        const current = failure.meta.current_version;
        const theirs = typeof current === "number" ? current : connection.version + 1;
        this.conflict = { theirs, mine: connection.version };
      } else {
        this.issues = validationIssues(failure);
        this.saveError = failure;
      }
      return false;
    } finally {
      this.saving = false;
    }
  }
}

// The new-connection form: the same draft, plus the credential it will belong to.
export class NewConnectionState {
  credentials: Credential[] = $state([]);
  credentialsLoad: LoadState = $state({ kind: "loading" });
  credentialId = $state("");
  draft: ConnectionDraft = $state(newConnectionDraft());
  changeNote = $state("");
  saving = $state(false);
  issues: ValidationDetail[] = $state([]);
  saveError: ApiError | null = $state(null);

  readonly placed: PlacedIssues = $derived(placeIssues(this.issues, ["credential_id", ...draftFieldPaths(this.draft)]));

  async loadCredentials(signal?: AbortSignal): Promise<void> {
    this.credentialsLoad = { kind: "loading" };
    try {
      this.credentials = await api.listCredentials(signal);
      if (this.credentialId === "" && this.credentials[0]) this.credentialId = this.credentials[0].id;
      this.credentialsLoad = { kind: "ready" };
    } catch (error) {
      if (isAbort(error)) return;
      this.credentialsLoad = { kind: "failed", error: asApiError(error) };
    }
  }

  async create(): Promise<Connection | null> {
    if (this.saving) return null;
    this.saving = true;
    this.issues = [];
    this.saveError = null;
    const note = this.changeNote.trim();
    try {
      return await api.createConnection({
        credential_id: this.credentialId,
        ...snapshotOf(this.draft),
        ...(note === "" ? {} : { change_note: note }),
      });
    } catch (error) {
      const failure = asApiError(error);
      this.issues = validationIssues(failure);
      this.saveError = failure;
      return null;
    } finally {
      this.saving = false;
    }
  }
}
