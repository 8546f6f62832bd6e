// One line of a figures bench (`npm run bench -- scale`, `-- throughput`): a measured figure beside its target.
// Each part file returns these from `measure()`; bench/support/figures-frame.ts prints them and writes the JSON.
export interface Figure {
  /** What was measured, in words, e.g. "live delay p95 (200 runs, 50 dashboards)". */
  figure: string;
  value: number;
  unit: string;
  /** The target in words, e.g. "≤ 20". */
  target: string;
  met: boolean;
  /** Whatever explains the figure: counts, sizes, the machine's load. */
  detail?: Record<string, unknown>;
}

/** The scale bench's name for it. */
export type ScaleFigure = Figure;
