import { createSubscriber } from "svelte/reactivity";

// "Now" for running durations: ticks once a second, and only while something on screen reads it.
class Clock {
  #subscribe = createSubscriber((update) => {
    const timer = setInterval(update, 1000);
    return () => clearInterval(timer);
  });

  get now(): number {
    this.#subscribe();
    return Date.now();
  }
}

export const clock = new Clock();
