import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LiveHub } from "../../../worker/live/live-hub";
import { liveHub } from "../../../worker/live/publish";
import { DEMO_IDS, driveRun, resetWorld, startRun } from "../factories";

beforeEach(async () => {
  await resetWorld();
});

const calls = new Map<string, number>();
let restore: (() => void) | null = null;

afterEach(() => {
  restore?.();
  restore = null;
});

// Replaces publish on the LiveHub class the hub objects run (RPC calls the class's method), so the
// coordinator's real calls reach a broken hub; counted per hub, so the test knows they did.
async function breakHubs(publish: () => Promise<number>): Promise<void> {
  calls.clear();
  const prototype = await runInDurableObject(liveHub(env), (hub: LiveHub) => Object.getPrototypeOf(hub) as LiveHub);
  const original = Object.getOwnPropertyDescriptor(prototype, "publish")!;
  Object.defineProperty(prototype, "publish", {
    configurable: true,
    writable: true,
    value(this: LiveHub) {
      const name = this.ctx.id.toString();
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return publish();
    },
  });
  restore = () => Object.defineProperty(prototype, "publish", original);
}

function callsTo(credentialId: string | null): number {
  return calls.get(liveHub(env, credentialId).id.toString()) ?? 0;
}

describe("a run whose live hubs are unavailable", () => {
  it("steps to its end while every publish throws", { timeout: 60_000 }, async () => {
    await breakHubs(() => Promise.reject(new Error("hub down")));
    const run = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
    const done = await driveRun(run.id);
    expect(done.status).toBe("completed");
    expect(done.jobs[0]?.processed).toBe(500);
    expect(callsTo(DEMO_IDS.credential)).toBeGreaterThan(0);
    expect(callsTo(null)).toBeGreaterThan(0);
  });

  it("steps to its end while every publish hangs", { timeout: 60_000 }, async () => {
    await breakHubs(() => new Promise<number>(() => {}));
    const run = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
    const done = await driveRun(run.id);
    expect(done.status).toBe("completed");
    expect(callsTo(DEMO_IDS.credential)).toBeGreaterThan(0);
  });
});
