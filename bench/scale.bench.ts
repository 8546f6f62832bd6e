/// <reference types="node" />
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ScaleFigure } from "./scale/figure";

// The ledger at fleet scale (issue 15): each part in bench/scale/<part>.ts measures its figures against their
// targets; this frame runs the parts in turn, prints one table and writes bench/results/scale.json.
// One part: BENCH_PART=storage (or live, alerts, schedule); the others keep their figures from the last results.
// Adding a part is one line in PARTS.
type Part = () => Promise<{ measure(): Promise<ScaleFigure[]> }>;
const PARTS: Record<string, Part> = {
  storage: () => import("./scale/storage"),
  live: () => import("./scale/live"),
  alerts: () => import("./scale/alerts"),
  schedule: () => import("./scale/schedule"),
};
const RESULTS = "bench/results/scale.json";

interface PartResult {
  figures: ScaleFigure[];
  error: string | null;
  seconds: number;
}

function selectedParts(): string[] {
  const chosen = process.env.BENCH_PART;
  if (chosen === undefined || chosen === "" || chosen === "all") return Object.keys(PARTS);
  const names = chosen.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => PARTS[name] === undefined);
  if (unknown.length > 0) throw new Error(`BENCH_PART: no part ${unknown.join(", ")} (parts: ${Object.keys(PARTS).join(", ")})`);
  return names;
}

function formatValue(figure: ScaleFigure): string {
  return `${figure.value.toLocaleString("en-US", { maximumFractionDigits: 2 })} ${figure.unit}`;
}

function printTable(results: Record<string, PartResult>): void {
  const rows: string[][] = [["part", "figure", "value", "target", ""]];
  for (const [part, result] of Object.entries(results)) {
    if (result.error !== null) rows.push([part, `failed: ${result.error.split("\n")[0]}`, "", "", "error"]);
    for (const figure of result.figures) rows.push([part, figure.figure, formatValue(figure), figure.target, figure.met ? "met" : "MISSED"]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(`  ${row.map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("   ")}`);
}

async function main(): Promise<void> {
  const names = selectedParts();
  const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, "utf8")) as { parts?: Record<string, PartResult> }) : {};
  const results: Record<string, PartResult> = {};
  for (const name of Object.keys(PARTS)) {
    const kept = previous.parts?.[name];
    if (!names.includes(name)) {
      if (kept !== undefined) results[name] = kept;
      continue;
    }
    console.log(`\n— ${name}`);
    const started = performance.now();
    try {
      const part = await PARTS[name]!();
      results[name] = { figures: await part.measure(), error: null, seconds: Math.round((performance.now() - started) / 1000) };
    } catch (error) {
      console.error(error);
      results[name] = { figures: [], error: error instanceof Error ? (error.stack ?? error.message) : String(error), seconds: 0 };
    }
  }

  console.log("\nscale: figures against targets");
  printTable(results);
  const all = Object.values(results);
  const missed = all.flatMap((r) => r.figures).filter((figure) => !figure.met).length;
  const failed = all.filter((r) => r.error !== null).length;
  console.log(`\n  ${missed} figure(s) missed, ${failed} part(s) failed; results in ${RESULTS}`);

  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify({ bench: "scale", node: process.version, measured_at: new Date().toISOString(), parts: results }, null, 2) + "\n");
  // Missed targets are the figures' business; only a part that could not measure fails the bench.
  if (failed > 0) process.exitCode = 1;
}

await main();
