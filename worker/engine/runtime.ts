// Everything time-, chance- or network-dependent the engine needs, passed in by the caller so the
// engine stays deterministic under test and runs unchanged in Node and workerd.
export interface EngineRuntime {
  now(): number;
  // Must reject with the signal's reason when the signal aborts, promptly.
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
  fetch: typeof fetch;
  // Resolves in a later event-loop turn, after I/O started in this one has gone out (absent: nothing waits).
  yieldToIo?(): Promise<void>;
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error("aborted");
}

// The adapter for real platforms (Workers, Node); the only place that touches the clock and timers.
export function createSystemRuntime(overrides: Partial<EngineRuntime> = {}): EngineRuntime {
  return {
    now: () => Date.now(),
    random: () => Math.random(),
    fetch: (input, init) => fetch(input, init),
    yieldToIo: () => new Promise<void>((resolve) => setTimeout(resolve, 0)),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(abortReason(signal));
          return;
        }
        const onAbort = () => {
          clearTimeout(timer);
          reject(abortReason(signal as AbortSignal));
        };
        const timer = setTimeout(
          () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
          Math.max(0, ms),
        );
        signal?.addEventListener("abort", onAbort, { once: true });
      }),
    ...overrides,
  };
}

export interface RequestTimeout {
  // Aborts when the time is up (or when `abort` is called by a caller's own cancellation).
  readonly controller: AbortController;
  timedOut(): boolean;
  // Call when the request is done, so the timer does not fire later.
  stop(): void;
}

// A timer on the runtime's clock that aborts a request after `ms`, telling a timeout from other aborts.
export function startTimeout(runtime: Pick<EngineRuntime, "sleep">, ms: number): RequestTimeout {
  const controller = new AbortController();
  const stopTimer = new AbortController();
  let fired = false;
  runtime.sleep(ms, stopTimer.signal).then(
    () => {
      fired = true;
      controller.abort(new Error(`timed out after ${ms} ms`));
    },
    () => undefined, // stopped because the request finished first
  );
  return { controller, timedOut: () => fired, stop: () => stopTimer.abort() };
}
