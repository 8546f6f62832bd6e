import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { LiveHubStore } from "./hub-store";
import { liveClientMessageSchema, type LiveServerMessage, type LiveUpdate, PING_FRAME, PONG_FRAME } from "./protocol";
import { errorMessage } from "../../shared/lang";
import { assertNever } from "../../shared/lang";
import { log } from "../observability/log";

/** Who opened a socket, kept on the socket so it survives hibernation. */
export interface LiveViewer {
  name: string;
  role: string;
  // The API token the socket was opened with (null for Cloudflare Access), so revoking it can close the socket.
  token_id: string | null;
  // When the credential stops being accepted (token expiry or the Access JWT's exp), in ms; null never.
  expires_at: number | null;
  connected_at: string;
  // The feed the socket follows: null for the runs feed, else a credential's id (kept for resync).
  credential_id: string | null;
}

// Policy Violation: the client should not reconnect with the same credentials.
export const REVOKED_CLOSE_CODE = 1008;
export const EXPIRED_CLOSE_CODE = 1008;

export const LIVE_VIEWER_HEADER = "X-Live-Viewer";

// Pruning runs at most this often, on a publish or a connect (see LiveHubStore.prune).
const PRUNE_EVERY_MS = 60_000;

/**
 * One feed (the runs feed, or one credential's: see publish.ts) fanned out to the dashboards that follow it.
 * Sockets use the hibernation API, so the hub costs nothing between updates; the snapshot comes from the hub's
 * own storage (LiveHubStore), so nothing in memory must survive an eviction and D1 is never read here.
 */
export class LiveHub extends DurableObject<Env> {
  private readonly store: LiveHubStore;
  private prunedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new LiveHubStore(ctx.storage.sql);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade", { status: 426 });
    }
    const viewer = parseViewer(request.headers.get(LIVE_VIEWER_HEADER));
    this.pruneNow(Date.now());
    // Read and sent with no await in between: no update can slip between the snapshot and the deltas.
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment(viewer);
    server.send(JSON.stringify(this.snapshot(viewer.credential_id)));
    if (viewer.expires_at !== null) await this.closeNoLaterThan(viewer.expires_at);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Closes the sockets whose credential has expired and arms the alarm for the next one. An alarm, not a timer:
   * it survives hibernation and eviction, and the sockets' attachments say when each one ends.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let next: number | null = null;
    for (const socket of this.ctx.getWebSockets()) {
      const viewer = socket.deserializeAttachment() as LiveViewer | null;
      const expiresAt = viewer?.expires_at ?? null;
      if (expiresAt === null || socket.readyState !== WebSocket.OPEN) continue;
      if (expiresAt <= now) closeSocket(socket, EXPIRED_CLOSE_CODE, viewer?.token_id ? "API token expired" : "Access session expired");
      else next = Math.min(next ?? expiresAt, expiresAt);
    }
    if (next !== null) await this.closeNoLaterThan(next);
  }

  private async closeNoLaterThan(at: number): Promise<void> {
    const armed = await this.ctx.storage.getAlarm();
    if (armed === null || at < armed) await this.ctx.storage.setAlarm(at);
  }

  /**
   * Keeps the update and sends it to every open socket at once; returns how many it reached. An update older
   * than one already kept for its run or job (by `seq`) is dropped: it reaches no one (0).
   */
  async publish(message: LiveUpdate): Promise<number> {
    const now = Date.now();
    if (!this.store.apply(message, now)) return 0;
    this.pruneNow(now);
    const text = JSON.stringify(message);
    let reached = 0;
    for (const socket of this.ctx.getWebSockets()) {
      if (sendTo(socket, text)) reached++;
    }
    return reached;
  }

  /** Closes every socket opened with this API token; returns how many. */
  async disconnectToken(tokenId: string): Promise<number> {
    let closed = 0;
    for (const socket of this.ctx.getWebSockets()) {
      const viewer = socket.deserializeAttachment() as LiveViewer | null;
      if (viewer?.token_id !== tokenId) continue;
      if (closeSocket(socket, REVOKED_CLOSE_CODE, "API token revoked")) closed++;
    }
    return closed;
  }

  override async webSocketMessage(socket: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const parsed = typeof data === "string" ? liveClientMessageSchema.safeParse(safeJson(data)) : null;
    if (!parsed?.success) {
      sendTo(socket, JSON.stringify({ type: "error", code: "bad_message", message: 'Send {"type":"ping"} or {"type":"resync"}.' } satisfies LiveServerMessage));
      return;
    }
    switch (parsed.data.type) {
      case "ping":
        // Pings formatted differently from PING_FRAME miss the auto-response and arrive here.
        sendTo(socket, PONG_FRAME);
        return;
      case "resync": {
        const viewer = socket.deserializeAttachment() as LiveViewer | null;
        sendTo(socket, JSON.stringify(this.snapshot(viewer?.credential_id ?? null)));
        return;
      }
      default:
        assertNever(parsed.data);
    }
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    // 1005 and 1006 describe a close without a code; they may not be sent back.
    if (socket.readyState !== WebSocket.CLOSED) socket.close(code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  override async webSocketError(socket: WebSocket, error: unknown): Promise<void> {
    const viewer = socket.deserializeAttachment() as LiveViewer | null;
    log.warn("live socket error", { viewer: viewer?.name ?? "unknown viewer", error });
  }

  // A credential's feed carries jobs; the runs feed never stores any, so it asks for none.
  private snapshot(credentialId: string | null): LiveServerMessage {
    return { type: "snapshot", credential_id: credentialId, runs: this.store.activeRuns(credentialId !== null), at: new Date().toISOString() };
  }

  private pruneNow(now: number): void {
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    this.store.prune(now);
  }
}

// A socket closing while we send is normal churn: the close handler tidies up, so report and go on.
function sendTo(socket: WebSocket, text: string): boolean {
  try {
    socket.send(text);
    return true;
  } catch (err) {
    log.warn("live: could not send to a closing socket", { error: errorMessage(err) });
    return false;
  }
}

function closeSocket(socket: WebSocket, code: number, reason: string): boolean {
  try {
    socket.close(code, reason);
    return true;
  } catch (err) {
    log.warn("live: could not close a socket", { reason, error: errorMessage(err) });
    return false;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON: the schema check reports it to the client
  }
}

function parseViewer(header: string | null): LiveViewer {
  const parsed = header === null ? null : (safeJson(header) as Partial<LiveViewer> | undefined);
  return {
    name: typeof parsed?.name === "string" ? parsed.name : "unknown",
    role: typeof parsed?.role === "string" ? parsed.role : "viewer",
    token_id: typeof parsed?.token_id === "string" ? parsed.token_id : null,
    expires_at: typeof parsed?.expires_at === "number" ? parsed.expires_at : null,
    credential_id: typeof parsed?.credential_id === "string" ? parsed.credential_id : null,
    connected_at: new Date().toISOString(),
  };
}
