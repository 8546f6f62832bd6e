/// <reference types="node" />
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname } from "node:path";
import type { Figure } from "./figure";

// The frame of a figures bench: each part (a module with `measure()`) is run in turn, one table of figures
// against targets is printed, and bench/results/<bench>.json is written. BENCH_PART=a,b runs only those parts;
// the others keep their figures from the last results, so one part can be re-measured alone. BENCH_REPEAT=n measures
// each part n times and keeps the run whose first figure is the median, with every run's value of it in its detail
// (`repeats`): figures from one run of a loaded machine spread by several percent.
export type FigurePart = () => Promise<{ measure(): Promise<Figure[]> }>;

interface PartResult {
  figures: Figure[];
  error: string | null;
  seconds: number;
}

function selectedParts(parts: Record<string, FigurePart>): string[] {
  const chosen = process.env.BENCH_PART;
  if (chosen === undefined || chosen === "" || chosen === "all") return Object.keys(parts);
  const names = chosen.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => parts[name] === undefined);
  if (unknown.length > 0) throw new Error(`BENCH_PART: no part ${unknown.join(", ")} (parts: ${Object.keys(parts).join(", ")})`);
  return names;
}

function formatValue(figure: Figure): string {
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

/** The machine a figure came from, for the README's benchmark table. */
export function machine(): { cpus: number; cpu_model: string; memory_gb: number; node: string } {
  const list = cpus();
  return { cpus: list.length, cpu_model: list[0]?.model ?? "unknown", memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version };
}

function repeats(): number {
  const asked = Number(process.env.BENCH_REPEAT ?? 1);
  if (!Number.isInteger(asked) || asked < 1) throw new Error(`BENCH_REPEAT must be a whole number ≥ 1, got ${process.env.BENCH_REPEAT}`);
  return asked;
}

// The run whose first figure is the median of all runs' (the lower middle for an even count), all its figures together.
export function medianRun(runs: Figure[][]): Figure[] {
  if (runs.length === 1) return runs[0]!;
  const ordered = [...runs].sort((a, b) => (a[0]?.value ?? 0) - (b[0]?.value ?? 0));
  const chosen = ordered[Math.floor((ordered.length - 1) / 2)]!;
  const [first, ...rest] = chosen;
  if (first === undefined) return chosen;
  const values = runs.map((run) => run[0]?.value ?? null);
  console.log(`  ${first.figure}: ${values.join(", ")} over ${runs.length} runs; the median run's figures are kept`);
  return [{ ...first, detail: { ...first.detail, repeats: values } }, ...rest];
}

export async function runFigureParts(bench: string, parts: Record<string, FigurePart>): Promise<void> {
  const resultsPath = `bench/results/${bench}.json`;
  const names = selectedParts(parts);
  const previous = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, "utf8")) as { parts?: Record<string, PartResult> }) : {};
  const results: Record<string, PartResult> = {};
  for (const name of Object.keys(parts)) {
    const kept = previous.parts?.[name];
    if (!names.includes(name)) {
      if (kept !== undefined) results[name] = kept;
      continue;
    }
    console.log(`\n— ${name}`);
    const started = performance.now();
    try {
      const part = await parts[name]!();
      const runs: Figure[][] = [];
      for (let run = 0; run < repeats(); run += 1) runs.push(await part.measure());
      results[name] = { figures: medianRun(runs), error: null, seconds: Math.round((performance.now() - started) / 1000) };
    } catch (error) {
      console.error(error);
      results[name] = { figures: [], error: error instanceof Error ? (error.stack ?? error.message) : String(error), seconds: 0 };
    }
  }

  console.log(`\n${bench}: figures against targets`);
  printTable(results);
  const all = Object.values(results);
  const missed = all.flatMap((r) => r.figures).filter((figure) => !figure.met).length;
  const failed = all.filter((r) => r.error !== null).length;
  console.log(`\n  ${missed} figure(s) missed, ${failed} part(s) failed; results in ${resultsPath}`);

  mkdirSync(dirname(resultsPath), { recursive: true });
  const document = { bench, node: process.version, machine: machine(), measured_at: new Date().toISOString(), parts: results };
  writeFileSync(resultsPath, JSON.stringify(document, null, 2) + "\n");
  // Missed targets are the figures' business; only a part that could not measure fails the bench.
  if (failed > 0) process.exitCode = 1;
}
