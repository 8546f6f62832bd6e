export interface SparkPoint {
  duration_ms: number | null;
  status: string;
}

export interface SparkGeometry {
  line: string;
  dots: Array<{ x: number; y: number; failed: boolean }>;
}

// Oldest on the left. Only finished jobs have a duration; running and pending ones are left out.
export function sparkGeometry(newestFirst: readonly SparkPoint[], width: number, height: number, pad = 2): SparkGeometry {
  const points = newestFirst.filter((point) => point.duration_ms !== null).reverse();
  if (points.length === 0) return { line: "", dots: [] };
  const durations = points.map((point) => point.duration_ms as number);
  const max = Math.max(...durations);
  const min = Math.min(...durations);
  const step = points.length > 1 ? (width - pad * 2) / (points.length - 1) : 0;
  const dots = points.map((point, index) => {
    const x = points.length > 1 ? pad + index * step : width / 2;
    // A flat series sits in the middle rather than on the floor.
    const y = max === min ? height / 2 : height - pad - (((point.duration_ms as number) - min) / (max - min)) * (height - pad * 2);
    return { x, y, failed: point.status === "failed" };
  });
  const line = dots.map((dot, index) => `${index === 0 ? "M" : "L"}${dot.x.toFixed(1)} ${dot.y.toFixed(1)}`).join(" ");
  return { line, dots };
}
