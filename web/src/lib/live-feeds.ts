import { live, LiveConnection, type LiveSink } from "./live.svelte";

// Which live feeds are open. The runs feed (`live`: every run, new runs and status changes) is open while
// signed in; a component that shows a run's jobs follows the run's credential while the run is active, and
// the credential's feed (its runs with every job's progress) is open while anything follows it. So a browser
// receives the progress of the runs it shows, not of every run.

// More credentials followed at once than this (a long list of active runs): the first asked keep their socket.
export const MAX_FOLLOWED = 16;

export class LiveFeeds {
  #sink: LiveSink | null = null;
  // Followers per credential, in the order first asked.
  #wanted = new Map<string, number>();
  #open = new Map<string, LiveConnection>();
  #reconcileQueued = false;

  constructor(
    readonly runs: LiveConnection,
    private readonly connect: (credentialId: string) => LiveConnection = (credentialId) => new LiveConnection({ credentialId }),
  ) {}

  start(sink: LiveSink): () => void {
    this.stop();
    this.#sink = sink;
    this.runs.start(sink);
    this.#reconcile();
    return () => this.stop();
  }

  stop(): void {
    this.#sink = null;
    this.runs.stop();
    this.#reconcile();
  }

  /** Keeps the credential's feed open until the returned function is called. */
  follow(credentialId: string): () => void {
    this.#wanted.set(credentialId, (this.#wanted.get(credentialId) ?? 0) + 1);
    this.#reconcile();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#wanted.get(credentialId) ?? 1) - 1;
      if (left > 0) this.#wanted.set(credentialId, left);
      else this.#wanted.delete(credentialId);
      // Closed a tick later: an effect that re-runs releases and follows again at once, and keeps its socket.
      if (this.#reconcileQueued) return;
      this.#reconcileQueued = true;
      queueMicrotask(() => {
        this.#reconcileQueued = false;
        this.#reconcile();
      });
    };
  }

  /** The credentials whose feed is open now. */
  get following(): string[] {
    return [...this.#open.keys()];
  }

  #reconcile(): void {
    const sink = this.#sink;
    const keep = new Set(sink === null ? [] : [...this.#wanted.keys()].slice(0, MAX_FOLLOWED));
    for (const [credentialId, connection] of this.#open) {
      if (keep.has(credentialId)) continue;
      connection.stop();
      this.#open.delete(credentialId);
    }
    if (sink === null) return;
    for (const credentialId of keep) {
      if (this.#open.has(credentialId)) continue;
      const connection = this.connect(credentialId);
      this.#open.set(credentialId, connection);
      connection.start(sink);
    }
  }
}

export const liveFeeds = new LiveFeeds(live);
