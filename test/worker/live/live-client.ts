import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { readRunDetail } from "../../../worker/ledger/run-reads";
import { announceRun } from "../../../worker/live/publish";
import type { LiveServerMessage } from "../../../worker/live/protocol";

export interface LiveClient {
  socket: WebSocket;
  response: Response;
  next: (timeoutMs?: number) => Promise<LiveServerMessage>;
  closed: Promise<CloseEvent>;
  close: () => void;
}

type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

const worker: Fetcher = (url, init) => exports.default.fetch(url, init);

/** The subprotocols a browser offers: ["bearer", token]. */
export const bearerProtocol = (token: string) => ({ "Sec-WebSocket-Protocol": `bearer, ${token}` });

/** The address of a credential's feed; the runs feed is plain /api/live. */
export const credentialFeed = (credentialId: string) => `/api/live?credential=${encodeURIComponent(credentialId)}`;

/** Publishes a run as the ledger holds it through the hubs' real path (what run creation does for a pending run). */
export async function announceFromLedger(runId: string, seq: number = Date.now()): Promise<void> {
  const detail = await readRunDetail(env.LEDGER, runId);
  expect(detail).not.toBeNull();
  await announceRun(env, detail!, seq);
}

/** Opens GET /api/live (through the whole worker unless `fetcher` is given) and queues what arrives. */
export async function connectLive(headers: Record<string, string> = {}, fetcher: Fetcher = worker, path = "/api/live"): Promise<LiveClient> {
  const response = await fetcher(`http://localhost${path}`, { headers: { Upgrade: "websocket", ...headers } });
  expect(response.status).toBe(101);
  const socket = response.webSocket!;
  const inbox: LiveServerMessage[] = [];
  const waiters: Array<(message: LiveServerMessage) => void> = [];
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data as string) as LiveServerMessage;
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  });
  const closed = new Promise<CloseEvent>((resolve) => socket.addEventListener("close", (event) => resolve(event), { once: true }));
  socket.accept();
  return {
    socket,
    response,
    closed,
    next: (timeoutMs = 2_000) => {
      const queued = inbox.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((message) => {
          clearTimeout(timer);
          resolve(message);
        });
      });
    },
    close: () => socket.close(1000, "test done"),
  };
}

export function expectType<T extends LiveServerMessage["type"]>(message: LiveServerMessage, type: T): Extract<LiveServerMessage, { type: T }> {
  expect(message.type).toBe(type);
  return message as Extract<LiveServerMessage, { type: T }>;
}
