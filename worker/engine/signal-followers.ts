// Many waits on one abort signal (a slice's thousands of requests on its cancel signal) share one listener: a
// listener added and removed per wait costs more than the wait's own bookkeeping.
export interface SignalFollowers<T> {
  add(signal: AbortSignal, item: T): void;
  remove(signal: AbortSignal, item: T): void;
}

/** `onAbort` gets the items still following the signal when it aborts; they are forgotten after. */
export function createSignalFollowers<T>(onAbort: (items: ReadonlySet<T>, signal: AbortSignal) => void): SignalFollowers<T> {
  const bySignal = new WeakMap<AbortSignal, Set<T>>();
  return {
    add(signal, item) {
      let items = bySignal.get(signal);
      if (items === undefined) {
        const following = new Set<T>();
        bySignal.set(signal, following);
        signal.addEventListener(
          "abort",
          () => {
            if (following.size > 0) onAbort(following, signal);
            following.clear();
          },
          { once: true },
        );
        items = following;
      }
      items.add(item);
    },
    remove(signal, item) {
      bySignal.get(signal)?.delete(item);
    },
  };
}
