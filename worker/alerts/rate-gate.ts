// At most one send per key per interval (Slack allows about one message a second per incoming webhook).
// Sends for one key queue behind each other; different keys do not wait for each other.

export interface RateGateOptions {
  minIntervalMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RateGate {
  // Resolves when a send for `key` may go; the send counts from that moment.
  wait(key: string): Promise<void>;
}

export function createRateGate(options: RateGateOptions): RateGate {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const lastSent = new Map<string, number>();
  const queues = new Map<string, Promise<void>>();

  return {
    wait(key) {
      const previous = queues.get(key) ?? Promise.resolve();
      const turn = previous.then(async () => {
        const last = lastSent.get(key);
        const waitMs = last === undefined ? 0 : last + options.minIntervalMs - now();
        if (waitMs > 0) await sleep(waitMs);
        lastSent.set(key, now());
      });
      queues.set(key, turn);
      return turn;
    },
  };
}
