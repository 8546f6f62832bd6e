/// <reference types="node" />
import { runFigureParts } from "./support/figures-frame";

// Throughput at the physical limit (issue 18): each part in bench/throughput/<part>.ts runs the real worker in
// workerd against a loopback destination and compares it with a baseline measured in the same run.
// One part: BENCH_PART=live (or another name below). Adding a part is one line here.
await runFigureParts("throughput", {
  live: () => import("./throughput/live"),
  bulk: () => import("./throughput/bulk"),
  dry: () => import("./throughput/dry"),
  million: () => import("./throughput/million"),
  lookup: () => import("./throughput/lookup"),
  adaptive: () => import("./throughput/adaptive"),
});
