// The dashboard's "now" on the server's clock. Deadlines, ages and running durations all come from the server's
// timestamps; a browser whose clock is off would show them wrong and, for freshness, ask again every few seconds
// for a deadline its clock thinks has passed. Each API answer's Date header sets the offset.

// The header counts whole seconds, and a round trip blurs it further: a smaller skew is left alone, so a right
// clock never jitters by a second between answers; once corrected, the offset moves only when an answer says
// it is a second or more off, and goes back to none under a second.
const SMALLEST_SKEW_MS = 2_000;
const SETTLED_MS = 1_000;
// An answer that took longer than this says too little about when the server wrote its header.
const LONGEST_ROUND_TRIP_MS = 4_000;

let offsetMs = 0;

/** Learns the server's clock from an answer's Date header, sent at `sentAt` and received at `receivedAt` (browser ms). */
export function noteServerDate(header: string | null, sentAt: number, receivedAt: number): void {
  if (header === null || receivedAt - sentAt > LONGEST_ROUND_TRIP_MS) return;
  const stamped = Date.parse(header);
  if (!Number.isFinite(stamped)) return;
  // The server's time lies somewhere in the second the header names: its middle, against the round trip's.
  const measured = Math.round(stamped + 500 - (sentAt + receivedAt) / 2);
  if (offsetMs === 0) {
    if (Math.abs(measured) >= SMALLEST_SKEW_MS) offsetMs = measured;
  } else if (Math.abs(measured) < SETTLED_MS) {
    offsetMs = 0;
  } else if (Math.abs(measured - offsetMs) >= SETTLED_MS) {
    offsetMs = measured;
  }
}

/** How far the server's clock is ahead of the browser's (ms; negative when behind, 0 within a second or two). */
export function serverClockOffset(): number {
  return offsetMs;
}

/** Now, on the server's clock. */
export function serverNow(): number {
  return Date.now() + offsetMs;
}

/** Forgets what was learnt (a test's fresh start). */
export function resetServerClock(): void {
  offsetMs = 0;
}
