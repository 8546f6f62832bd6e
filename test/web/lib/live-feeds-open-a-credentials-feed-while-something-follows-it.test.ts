import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LiveConnection } from "../../../web/src/lib/live.svelte";
import { LiveFeeds, MAX_FOLLOWED } from "../../../web/src/lib/live-feeds";
import type { LiveMessage } from "../../../web/src/lib/run-types";

// A stand-in for the browser's WebSocket: records which feeds the page opened and closed.
class FakeSocket {
  static opened: FakeSocket[] = [];
  readyState = 0;
  closed = false;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }

  send(): void {}

  close(): void {
    this.closed = true;
    this.readyState = 3;
  }
}

const options = (credentialId: string | null) => ({
  credentialId,
  url: () => `ws://127.0.0.1/api/live${credentialId === null ? "" : `?credential=${credentialId}`}`,
  token: () => "osk_v_test",
  WebSocket: FakeSocket as unknown as typeof WebSocket,
  scheduleFlush: (flush: () => void) => flush(),
  loadActive: async () => [],
});

function setup() {
  const feeds = new LiveFeeds(new LiveConnection(options(null)), (credentialId) => new LiveConnection(options(credentialId)));
  const batches: LiveMessage[][] = [];
  const stop = feeds.start((batch) => batches.push(batch));
  const open = () => FakeSocket.opened.filter((socket) => !socket.closed).map((socket) => socket.url);
  return { feeds, stop, open };
}

const flushMicrotasks = () => Promise.resolve();

beforeEach(() => {
  FakeSocket.opened = [];
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("the live feeds", () => {
  it("open the runs feed, and a credential's feed while anything follows it", async () => {
    const { feeds, open, stop } = setup();
    expect(open()).toEqual(["ws://127.0.0.1/api/live"]);

    const first = feeds.follow("cred_a");
    const second = feeds.follow("cred_a");
    expect(open()).toEqual(["ws://127.0.0.1/api/live", "ws://127.0.0.1/api/live?credential=cred_a"]);

    first();
    await flushMicrotasks();
    expect(feeds.following).toEqual(["cred_a"]);
    second();
    await flushMicrotasks();
    expect(open()).toEqual(["ws://127.0.0.1/api/live"]);
    stop();
    expect(open()).toEqual([]);
  });

  it("keep the socket of a credential that is released and followed again at once (an effect re-running)", async () => {
    const { feeds } = setup();
    const release = feeds.follow("cred_a");
    const socket = FakeSocket.opened.at(-1);
    release();
    const again = feeds.follow("cred_a");
    await flushMicrotasks();
    expect(FakeSocket.opened.at(-1)).toBe(socket);
    expect(socket?.closed).toBe(false);
    again();
  });

  it("open at most MAX_FOLLOWED credential feeds, the first asked first, and the next when one is released", async () => {
    const { feeds } = setup();
    const releases = Array.from({ length: MAX_FOLLOWED + 1 }, (_, i) => feeds.follow(`cred_${i}`));
    expect(feeds.following).toHaveLength(MAX_FOLLOWED);
    expect(feeds.following).not.toContain(`cred_${MAX_FOLLOWED}`);
    releases[0]?.();
    await flushMicrotasks();
    expect(feeds.following).toContain(`cred_${MAX_FOLLOWED}`);
    expect(feeds.following).not.toContain("cred_0");
  });

  it("remember what is followed while signed out and open it on the next start", () => {
    const { feeds, stop } = setup();
    stop();
    feeds.follow("cred_a");
    expect(feeds.following).toEqual([]);
    feeds.start(() => {});
    expect(feeds.following).toEqual(["cred_a"]);
  });
});
