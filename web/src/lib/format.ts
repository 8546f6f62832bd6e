const counts = new Intl.NumberFormat("en");
const percent = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 1 });

export function formatCount(value: number): string {
  return counts.format(value);
}

export function formatPercent(fraction: number | null): string {
  return fraction === null ? "—" : percent.format(fraction);
}

// The seed's style: "1m 42s", "3h 05m", "850 ms".
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, "0")}m`;
  return `${minutes}m ${seconds}s`;
}

const BYTE_UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${BYTE_UNITS[unit]}`;
}

// Wall-clock time of an unfinished job or run, counted to now.
export function elapsedMs(startedAt: string | null, finishedAt: string | null, durationMs: number | null, now: number): number | null {
  if (durationMs !== null) return durationMs;
  if (startedAt === null) return null;
  const start = Date.parse(startedAt);
  const end = finishedAt === null ? now : Date.parse(finishedAt);
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, end - start);
}

const shortAbsolute = new Intl.DateTimeFormat("en", {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

export function formatShortAbsolute(iso: string): string {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? iso : shortAbsolute.format(then);
}
