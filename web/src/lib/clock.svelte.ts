import { createSubscriber } from "svelte/reactivity";
import { serverNow } from "./server-clock";

// "Now" for running durations: ticks once a second, and only while something on screen reads it.
class Clock {
  #subscribe = createSubscriber((update) => {
    const timer = setInterval(update, 1000);
    return () => clearInterval(timer);
  });

  get now(): number {
    this.#subscribe();
    return serverNow();
  }
}

export const clock = new Clock();
