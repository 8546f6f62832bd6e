import { api, asApiError, type ApiError } from "../lib/api";

// Resume, from wherever a paused connection shows (list, editor, dashboard): one command, its progress and error per connection.
export class ConnectionPauseState {
  resuming: Record<string, true> = $state({});
  errors: Record<string, ApiError> = $state({});
  // The pause (its time) each connection was resumed from: shown as gone at once, even where the page keeps
  // unsaved edits and does not reload; a later pause has another time and shows again.
  resumedFrom: Record<string, string> = $state({});

  isResumed(connectionId: string, pausedAt: string): boolean {
    return this.resumedFrom[connectionId] === pausedAt;
  }

  async resume(connectionId: string, pausedAt: string): Promise<boolean> {
    if (this.resuming[connectionId]) return false;
    this.resuming[connectionId] = true;
    delete this.errors[connectionId];
    try {
      await api.resumeConnection(connectionId);
      this.resumedFrom[connectionId] = pausedAt;
      return true;
    } catch (error) {
      this.errors[connectionId] = asApiError(error);
      return false;
    } finally {
      delete this.resuming[connectionId];
    }
  }
}

export const connectionPause = new ConnectionPauseState();
