// One line of `npm run bench -- scale`: a measured figure beside its target. Each bench/scale/<part>.ts
// returns these from `measure()`; bench/scale.bench.ts prints them and writes bench/results/scale.json.
export interface ScaleFigure {
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
