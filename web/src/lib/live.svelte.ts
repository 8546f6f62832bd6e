import { api } from "./api";
import { currentToken } from "./session-token";
import type { LiveClientMessage, LiveMessage, LiveMessageType, RunDetail, RunSummary } from "./run-types";
import { LIVE_BEARER_PROTOCOL, liveFeedUrl } from "../../../shared/live-feed";

// The one owner of GET /api/live: opens the socket of one feed (the runs feed, or a credential's with its
// jobs' progress), keeps it alive, reconnects with backoff, polls GET /api/runs while it is down, and hands
// incoming messages over in one batch per animation frame. live-feeds.svelte.ts decides which feeds are open.

export const LIVE_STATES = ["idle", "connecting", "open", "reconnecting"] as const;
export type LiveState = (typeof LIVE_STATES)[number];

export type LiveSink = (messages: LiveMessage[]) => void;

// Active runs as the polling fallback sees them, in the shape of a snapshot.
export type ActiveRunsLoader = (signal: AbortSignal) => Promise<RunDetail[]>;

export interface LiveConnectionOptions {
  // The credential whose feed this socket follows; null (the default) for the runs feed.
  credentialId?: string | null;
  url?: () => string;
  token?: () => string | null;
  loadActive?: ActiveRunsLoader;
  WebSocket?: typeof WebSocket;
  // Defaults to the next animation frame (a short timer while the tab is hidden: frames stop there).
  scheduleFlush?: (flush: () => void) => void;
  now?: () => number;
  random?: () => number;
}

const PING_EVERY_MS = 25_000;
const POLL_EVERY_MS = 4_000;
const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const HIDDEN_FLUSH_MS = 250;

// Every type the server may send; a frame with any other type is dropped, not guessed at.
const FROM_SERVER: Record<LiveMessageType, boolean> = {
  snapshot: true,
  run: true,
  job: true,
  pong: true,
  error: true,
  ping: false,
  resync: false,
};

export function parseLiveFrame(data: unknown): LiveMessage | null {
  if (typeof data !== "string") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (error) {
    console.warn("Dropped a live frame that is not JSON", error);
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || !("type" in parsed) || typeof parsed.type !== "string") return null;
  const type = parsed.type;
  if (!(type in FROM_SERVER) || !FROM_SERVER[type as LiveMessageType]) return null;
  return parsed as LiveMessage;
}

// Exponential with jitter, so many tabs do not reconnect in step after an outage.
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function liveUrl(credentialId: string | null): string {
  return liveFeedUrl(window.location.origin, credentialId);
}

function defaultScheduleFlush(flush: () => void): void {
  if (typeof document !== "undefined" && document.hidden) setTimeout(flush, HIDDEN_FLUSH_MS);
  else if (typeof requestAnimationFrame === "function") requestAnimationFrame(flush);
  else setTimeout(flush, 16);
}

async function loadActiveRuns(signal: AbortSignal, credentialId: string | null = null): Promise<RunDetail[]> {
  const credential = credentialId === null ? {} : { credential: credentialId };
  const [running, pending] = await Promise.all([
    api.runs({ status: "running", ...credential }, { limit: 50 }, signal),
    api.runs({ status: "pending", ...credential }, { limit: 50 }, signal),
  ]);
  const active: RunSummary[] = [...running.data, ...pending.data];
  return Promise.all(active.map((run) => api.run(run.id, signal)));
}

export class LiveConnection {
  state: LiveState = $state("idle");
  // True while the socket is down and GET /api/runs stands in for it.
  polling = $state(false);
  lastMessageAt: number | null = $state(null);
  reconnectAt: number | null = $state(null);

  readonly credentialId: string | null;
  #options: Required<Omit<LiveConnectionOptions, "WebSocket" | "credentialId">> & { WebSocket: () => typeof WebSocket | undefined };
  #sink: LiveSink | null = null;
  #socket: WebSocket | null = null;
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #pollTimer: ReturnType<typeof setTimeout> | null = null;
  #pollController: AbortController | null = null;
  #queue: LiveMessage[] = [];
  #flushScheduled = false;
  #detach: (() => void) | null = null;

  constructor(options: LiveConnectionOptions = {}) {
    const credentialId = options.credentialId ?? null;
    this.credentialId = credentialId;
    this.#options = {
      url: options.url ?? (() => liveUrl(credentialId)),
      token: options.token ?? currentToken,
      loadActive: options.loadActive ?? ((signal) => loadActiveRuns(signal, credentialId)),
      // Looked up when connecting, so a page (or a test) that swaps the global is honoured.
      WebSocket: () => options.WebSocket ?? (typeof WebSocket === "undefined" ? undefined : WebSocket),
      scheduleFlush: options.scheduleFlush ?? defaultScheduleFlush,
      now: options.now ?? Date.now,
      random: options.random ?? Math.random,
    };
  }

  start(sink: LiveSink): () => void {
    this.stop();
    this.#sink = sink;
    this.#attempt = 0;
    this.#connect();
    // Come back at once when the network or the tab returns, instead of waiting out the backoff.
    const wake = () => {
      if (this.state === "reconnecting" && (typeof document === "undefined" || !document.hidden)) this.#reconnectNow();
    };
    if (typeof window !== "undefined") {
      window.addEventListener("online", wake);
      document.addEventListener("visibilitychange", wake);
      this.#detach = () => {
        window.removeEventListener("online", wake);
        document.removeEventListener("visibilitychange", wake);
      };
    }
    return () => this.stop();
  }

  stop(): void {
    this.#detach?.();
    this.#detach = null;
    this.#sink = null;
    this.#clearTimers();
    this.#stopPolling();
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(1000, "signed out");
    }
    this.#queue = [];
    this.state = "idle";
    this.reconnectAt = null;
  }

  // A fresh snapshot now: over the socket when it is open, else by polling.
  resync(): void {
    if (this.#socket && this.state === "open") this.#send({ type: "resync" });
    else if (this.#sink) void this.#pollOnce();
  }

  #connect(): void {
    const token = this.#options.token();
    const Socket = this.#options.WebSocket();
    if (!token || !Socket || !this.#sink) {
      this.state = "reconnecting";
      this.#startPolling();
      return;
    }
    this.state = this.#attempt === 0 ? "connecting" : "reconnecting";
    this.reconnectAt = null;
    let socket: WebSocket;
    try {
      socket = new Socket(this.#options.url(), [LIVE_BEARER_PROTOCOL, token]);
    } catch (error) {
      console.warn("Live feed: could not open the socket", error);
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#attempt = 0;
      this.state = "open";
      this.#stopPolling();
      // The server sends a snapshot on every connect: that is the resync after an outage.
      this.#pingTimer = setInterval(() => this.#send({ type: "ping" }), PING_EVERY_MS);
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this.#socket !== socket) return;
      const message = parseLiveFrame(event.data);
      if (message) this.#enqueue(message);
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (this.#pingTimer) clearInterval(this.#pingTimer);
      this.#pingTimer = null;
      this.#scheduleReconnect();
    };
    // An error is always followed by close, which does the work.
    socket.onerror = () => {};
  }

  #send(message: LiveClientMessage): void {
    if (this.#socket?.readyState === 1) this.#socket.send(JSON.stringify(message));
  }

  #scheduleReconnect(): void {
    if (!this.#sink) return;
    this.state = "reconnecting";
    this.#startPolling();
    const delay = backoffDelay(this.#attempt, this.#options.random);
    this.#attempt += 1;
    this.reconnectAt = this.#options.now() + delay;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delay);
  }

  #reconnectNow(): void {
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    this.#connect();
  }

  #enqueue(message: LiveMessage): void {
    this.#queue.push(message);
    this.lastMessageAt = this.#options.now();
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    this.#options.scheduleFlush(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length > 0) this.#sink?.(batch);
  }

  #startPolling(): void {
    if (this.polling || !this.#sink) return;
    this.polling = true;
    void this.#pollOnce();
  }

  #stopPolling(): void {
    this.polling = false;
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    this.#pollTimer = null;
    this.#pollController?.abort();
    this.#pollController = null;
  }

  async #pollOnce(): Promise<void> {
    this.#pollController?.abort();
    const controller = new AbortController();
    this.#pollController = controller;
    try {
      const runs = await this.#options.loadActive(controller.signal);
      if (controller.signal.aborted) return;
      this.#enqueue({ type: "snapshot", credential_id: this.credentialId, runs, at: new Date(this.#options.now()).toISOString() });
    } catch (error) {
      if (controller.signal.aborted) return;
      // The socket's reconnect keeps trying; a failed poll only waits for the next one.
      console.warn("Live feed: polling active runs failed", error);
    } finally {
      if (this.polling && this.#pollController === controller) {
        if (this.#pollTimer) clearTimeout(this.#pollTimer);
        this.#pollTimer = setTimeout(() => void this.#pollOnce(), POLL_EVERY_MS);
      }
    }
  }

  #clearTimers(): void {
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#reconnectTimer = null;
    this.#pingTimer = null;
  }
}

export const live = new LiveConnection();
