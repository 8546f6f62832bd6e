/// <reference types="node" />
import { runFigureParts } from "./support/figures-frame";

// The ledger at fleet scale (issue 15): each part in bench/scale/<part>.ts measures its figures against their
// targets; one part: BENCH_PART=storage (or live, alerts, schedule). Adding a part is one line here.
await runFigureParts("scale", {
  storage: () => import("./scale/storage"),
  live: () => import("./scale/live"),
  alerts: () => import("./scale/alerts"),
  schedule: () => import("./scale/schedule"),
});
