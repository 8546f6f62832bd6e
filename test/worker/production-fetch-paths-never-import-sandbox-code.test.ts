import { describe, expect, it } from "vitest";

// A static check over the worker's import statements: the sandbox (a demo destination, mounted only with
// SANDBOX=on) is reached from production code only through the doors listed here, and never from a module
// that sends requests. Type-only imports load no code and are ignored.
declare global {
  // Vite's import.meta.glob, typed just for this use (vite/client's types would bring DOM types into the worker).
  interface ImportMeta {
    glob<T>(pattern: string, options: { query: "?raw"; import: "default"; eager: true }): Record<string, T>;
  }
}

const sources = import.meta.glob<string>("../../worker/**/*.ts", { query: "?raw", import: "default", eager: true });
const files = new Map(Object.entries(sources).map(([key, text]) => [key.replace(/^(\.\.\/)+/, ""), text]));

const SANDBOX = "worker/sandbox/";

// Why each door exists; anything else importing the sandbox fails this test.
const ALLOWED_DOORS: Record<string, string> = {
  "worker/index.ts -> worker/sandbox/sandbox-fleet.ts": "the runtime needs the Durable Object class exported",
  "worker/app.ts -> worker/sandbox/mount.ts": "the /sandbox route, which answers 404 unless SANDBOX=on",
  "worker/ledger/demo-seed.ts -> worker/sandbox/demo-connections.ts": "demo data, seeded only with DEMO_SEED=on",
  "worker/ledger/demo-seed.ts -> worker/sandbox/demo-data.ts": "demo data, seeded only with DEMO_SEED=on",
};

// Modules that send requests to destinations, alert endpoints or object storage.
const FETCH_PATHS = [
  "worker/runs/run-coordinator.ts",
  "worker/alerts/alert-channel-sender.ts",
  "worker/alerts/test-send.ts",
  "worker/api/test-lookup.ts",
  "worker/auth/url-safety.ts",
  "worker/retention/export-target.ts",
  "worker/outbound.ts",
];

interface Edge {
  to: string;
  dynamic: boolean;
}

function importsOf(file: string): Edge[] {
  const text = files.get(file) ?? "";
  const edges: Edge[] = [];
  const statics = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?["']([^"']+)["']/gm;
  for (const match of text.matchAll(statics)) {
    if (match[2] !== undefined) continue;
    const to = resolve(file, match[3]!);
    if (to !== null) edges.push({ to, dynamic: false });
  }
  for (const match of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
    const to = resolve(file, match[1]!);
    if (to !== null) edges.push({ to, dynamic: true });
  }
  return edges;
}

function resolve(from: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  const base = parts.join("/");
  if (!base.startsWith("worker/")) return null;
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) if (files.has(candidate)) return candidate;
  throw new Error(`${from} imports ${specifier}, which is not a worker file`);
}

function staticClosure(start: string): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const edge of importsOf(queue.shift()!)) {
      if (edge.dynamic || seen.has(edge.to)) continue;
      seen.add(edge.to);
      queue.push(edge.to);
    }
  }
  return seen;
}

describe("production fetch paths never import sandbox code", () => {
  it("reads the worker's sources", () => {
    expect(files.has("worker/index.ts")).toBe(true);
    expect(files.has("worker/sandbox/outbound-fetch.ts")).toBe(true);
  });

  it("loads no sandbox module from any module that sends requests", () => {
    for (const start of FETCH_PATHS) {
      expect(files.has(start), start).toBe(true);
      const reached = [...staticClosure(start)].filter((file) => file.startsWith(SANDBOX));
      expect(reached, `${start} loads sandbox code`).toEqual([]);
    }
  });

  it("reaches the sandbox from outside it only through the listed doors", () => {
    const doors: string[] = [];
    for (const file of files.keys()) {
      if (file.startsWith(SANDBOX)) continue;
      for (const edge of importsOf(file)) {
        if (edge.to.startsWith(SANDBOX) && !edge.dynamic) doors.push(`${file} -> ${edge.to}`);
      }
    }
    expect(doors.sort()).toEqual(Object.keys(ALLOWED_DOORS).sort());
  });

  it("chooses the sandbox router in one place, loaded only on demand", () => {
    const dynamic: string[] = [];
    for (const file of files.keys()) {
      for (const edge of importsOf(file)) if (edge.dynamic && edge.to.startsWith(SANDBOX)) dynamic.push(`${file} -> ${edge.to}`);
    }
    expect(dynamic).toEqual(["worker/outbound.ts -> worker/sandbox/outbound-fetch.ts"]);
    expect(files.get("worker/outbound.ts")).toMatch(/env\.SANDBOX !== "on"\) return/);
  });
});
