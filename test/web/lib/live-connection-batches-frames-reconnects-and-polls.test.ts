import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LiveConnection, backoffDelay, parseLiveFrame } from "../../../web/src/lib/live.svelte";
import type { LiveMessage, RunDetail } from "../../../web/src/lib/run-types";
import { makeJob, makeRunDetail } from "../factories";

// A stand-in for the browser's WebSocket: records what the page opened and sent, and lets the test play the server.
class FakeSocket {
  static opened: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  closedByClient = false;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.opened.push(this);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.closedByClient = true;
    this.readyState = 3;
  }

  serverOpens(): void {
    this.readyState = 1;
    this.onopen?.();
  }

  serverSends(message: LiveMessage): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  serverDrops(): void {
    this.readyState = 3;
    this.onclose?.();
  }
}

function setup(loadActive: (signal: AbortSignal) => Promise<RunDetail[]> = async () => []) {
  const frames: Array<() => void> = [];
  const batches: LiveMessage[][] = [];
  const connection = new LiveConnection({
    url: () => "ws://127.0.0.1/api/live",
    token: () => "osk_v_test",
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    scheduleFlush: (flush) => frames.push(flush),
    loadActive,
    random: () => 1,
  });
  const stop = connection.start((batch) => batches.push(batch));
  const nextFrame = () => frames.splice(0).forEach((flush) => flush());
  return { connection, batches, nextFrame, stop };
}

function latestSocket(): FakeSocket {
  const socket = FakeSocket.opened.at(-1);
  if (!socket) throw new Error("no socket was opened");
  return socket;
}

beforeEach(() => {
  FakeSocket.opened = [];
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("the live connection", () => {
  it("offers the token as the bearer subprotocol", () => {
    const { stop } = setup();

    expect(latestSocket().protocols).toEqual(["bearer", "osk_v_test"]);
    stop();
  });

  it("hands over every message of a frame's worth in one batch, in order", () => {
    const { batches, nextFrame, connection, stop } = setup();
    const socket = latestSocket();
    socket.serverOpens();
    const job = makeJob();

    socket.serverSends({ type: "snapshot", credential_id: null, runs: [], at: "2026-11-22T12:00:00Z" });
    socket.serverSends({ type: "job", job, seq: 1 });
    socket.serverSends({ type: "job", job: { ...job, processed: 10 }, seq: 2 });
    expect(batches).toEqual([]);
    nextFrame();

    expect(connection.state).toBe("open");
    expect(batches.map((batch) => batch.map((message) => message.type))).toEqual([["snapshot", "job", "job"]]);
    stop();
  });

  it("drops frames that are not the server's messages", () => {
    expect(parseLiveFrame("not json")).toBeNull();
    expect(parseLiveFrame(JSON.stringify({ type: "resync" }))).toBeNull();
    expect(parseLiveFrame(JSON.stringify({ type: "mystery" }))).toBeNull();
    expect(parseLiveFrame(JSON.stringify({ type: "pong" }))).toEqual({ type: "pong" });
  });

  it("polls the active runs while the socket is down and reconnects with growing waits", async () => {
    const active = makeRunDetail({ status: "running" });
    const loadActive = vi.fn(async () => [active]);
    const { batches, nextFrame, connection, stop } = setup(loadActive);
    latestSocket().serverOpens();

    latestSocket().serverDrops();
    expect(connection.state).toBe("reconnecting");
    expect(connection.polling).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    nextFrame();
    expect(batches.at(-1)).toEqual([expect.objectContaining({ type: "snapshot", credential_id: null, runs: [active] })]);

    // First wait is up to a second, then two, then four.
    await vi.advanceTimersByTimeAsync(backoffDelay(0, () => 1));
    expect(FakeSocket.opened).toHaveLength(2);
    latestSocket().serverDrops();
    await vi.advanceTimersByTimeAsync(backoffDelay(1, () => 1) - 1);
    expect(FakeSocket.opened).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.opened).toHaveLength(3);

    // Back up: polling stops; the server's snapshot on connect is the resync.
    latestSocket().serverOpens();
    expect(connection.polling).toBe(false);
    const polls = loadActive.mock.calls.length;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(loadActive.mock.calls.length).toBe(polls);
    stop();
  });

  it("keeps the connection alive with pings and closes it on stop", async () => {
    const { connection, stop } = setup();
    const socket = latestSocket();
    socket.serverOpens();

    await vi.advanceTimersByTimeAsync(25_000);
    expect(socket.sent).toContain(JSON.stringify({ type: "ping" }));

    stop();
    expect(socket.closedByClient).toBe(true);
    expect(connection.state).toBe("idle");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.opened).toHaveLength(1);
  });

  it("backs off up to half a minute", () => {
    expect(backoffDelay(0, () => 1)).toBe(1_000);
    expect(backoffDelay(3, () => 1)).toBe(8_000);
    expect(backoffDelay(20, () => 1)).toBe(30_000);
    expect(backoffDelay(20, () => 0)).toBe(15_000);
  });
});
