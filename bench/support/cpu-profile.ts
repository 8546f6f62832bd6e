/// <reference types="node" />
import { writeFileSync } from "node:fs";
import type { Miniflare as MiniflareInstance } from "miniflare";
import { openInspector } from "./inspector";

// A CPU profile of the worker's isolate in workerd over the V8 inspector (start the worker with an inspectorPort),
// summed into self time per function: where the isolate's time goes while a run executes. Native work a function
// calls (SQLite, JSON, compression) counts as that function's own time; "(idle)" is time spent waiting.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  total_ms: number;
  busy_ms: number;
  top: ProfileShare[];
  // Time with the function anywhere on the stack (its callees included), once per sample however deep it recurs.
  inclusive: ProfileShare[];
}

export interface CpuProfiler {
  stop(): Promise<ProfileSummary>;
}

const SAMPLING_US = 500;
const UNSAMPLED_AFTER_US = 100 * SAMPLING_US;

export async function startCpuProfile(mf: MiniflareInstance, workerName: string): Promise<CpuProfiler> {
  const session = await openInspector(mf, workerName);
  const call = session.call;
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: SAMPLING_US });
  await call("Profiler.start");
  return {
    async stop() {
      const { profile } = await call<{ profile: Profile }>("Profiler.stop");
      session.close();
      // BENCH_PROFILE_FILE=path keeps the raw profile (open it in Chrome's DevTools, or read positionTicks per line).
      if (process.env.BENCH_PROFILE_FILE) writeFileSync(process.env.BENCH_PROFILE_FILE, JSON.stringify(profile));
      return summarise(profile);
    },
  };
}

function summarise(profile: Profile, top = Number(process.env.BENCH_PROFILE_TOP ?? 25)): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const nameOf = (node: ProfileNode | undefined) => {
    const frame = node?.callFrame;
    // The bundled worker is one script: its functions are named by line; other scripts (Miniflare's) by file too.
    const file = frame?.url.split("/").pop() ?? "";
    const where = frame?.url ? ` ${file === "worker.mjs" ? "" : file}:${frame.lineNumber + 1}` : "";
    return frame === undefined ? "(unknown)" : `${frame.functionName || "(anonymous)"}${where}`;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    // A sample after a long stretch without one (the isolate idle until the profile stops, or its thread not
    // scheduled) would charge the whole stretch to whatever that sample caught: it counts as unsampled instead.
    const name = us > UNSAMPLED_AFTER_US ? "(unsampled)" : nameOf(byId.get(id));
    self.set(name, (self.get(name) ?? 0) + us);
    if (name === "(unsampled)") return;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const onStack = nameOf(byId.get(at));
      if (seen.has(onStack)) continue;
      seen.add(onStack);
      inclusive.set(onStack, (inclusive.get(onStack) ?? 0) + us);
    }
  });
  const idle = (self.get("(idle)") ?? 0) + (self.get("(program)") ?? 0) + (self.get("(unsampled)") ?? 0);
  const busy = total - idle;
  const ranked = (times: Map<string, number>) =>
    [...times.entries()]
      .filter(([name]) => !["(idle)", "(program)", "(root)", "(unsampled)"].includes(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: Math.round((us / Math.max(1, busy)) * 1000) / 10 }));
  return { total_ms: Math.round(total / 1000), busy_ms: Math.round(busy / 1000), top: ranked(self), inclusive: ranked(inclusive) };
}

export function printProfile(profile: ProfileSummary): void {
  console.log(`  CPU profile of the worker isolate: ${profile.busy_ms} ms busy of ${profile.total_ms} ms; self time per function:`);
  for (const entry of profile.top) console.log(`  ${String(entry.share).padStart(5)}%  ${String(entry.ms).padStart(6)} ms  ${entry.name}`);
  console.log("  …and with its callees (on the stack):");
  for (const entry of profile.inclusive) console.log(`  ${String(entry.share).padStart(5)}%  ${String(entry.ms).padStart(6)} ms  ${entry.name}`);
}
