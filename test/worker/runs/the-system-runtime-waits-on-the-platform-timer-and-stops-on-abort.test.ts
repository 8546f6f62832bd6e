import { afterEach, describe, expect, it, vi } from "vitest";
import { createSystemRuntime, startTimeout } from "../../../worker/engine/runtime";

// In workerd the engine's waits (each answer's next turn, each request's timeout) use the platform's own timer:
// nodejs_compat makes the global setTimeout Node's, which costs an object per call on every request.
describe("the system runtime in workerd", () => {
  afterEach(() => vi.restoreAllMocks());

  it("waits and yields without the global setTimeout", async () => {
    const timers = vi.spyOn(globalThis, "setTimeout");
    const runtime = createSystemRuntime();
    const started = Date.now();
    await runtime.sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    await runtime.yieldToIo?.();
    expect(timers).not.toHaveBeenCalled();
  });

  it("rejects a wait with its signal's reason, whether aborted before or during it", async () => {
    const runtime = createSystemRuntime();
    const before = new AbortController();
    const early = new Error("canceled before");
    before.abort(early);
    await expect(runtime.sleep(10_000, before.signal)).rejects.toBe(early);

    const during = new AbortController();
    const late = new Error("canceled during");
    const waiting = runtime.sleep(10_000, during.signal);
    await runtime.yieldToIo?.();
    during.abort(late);
    await expect(waiting).rejects.toBe(late);
  });

  it("times a request out, and a stopped timeout never fires", async () => {
    const runtime = createSystemRuntime();
    const fired = startTimeout(runtime, 5);
    await new Promise<void>((resolve) => fired.controller.signal.addEventListener("abort", () => resolve(), { once: true }));
    expect(fired.timedOut()).toBe(true);
    expect(String(fired.controller.signal.reason)).toContain("timed out after 5 ms");

    const stopped = startTimeout(runtime, 5);
    stopped.stop();
    await runtime.sleep(20);
    expect(stopped.timedOut()).toBe(false);
    expect(stopped.controller.signal.aborted).toBe(false);
  });
});
