// When each attempt of a delivery happens, counted from the previous one: immediately, 5 s, 5 min,
// 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (SPEC §5). After the last, the delivery has failed.
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const RETRY_DELAYS_MS = [0, 5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 14 * HOUR, 20 * HOUR, 24 * HOUR] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length;

// A channel whose deliveries have failed without a single success for this long is disabled when a
// delivery runs out of retries (which itself takes about three days).
export const DISABLE_AFTER_FAILING_MS = 3 * DAY;

export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
  retryAfterMs: number | null;
}

export const ATTEMPT_VERDICTS = ["succeeded", "retry", "gone"] as const;
export type AttemptVerdict = (typeof ATTEMPT_VERDICTS)[number];

// Only 2xx counts; a redirect is not followed, so it is a failure like any other status. Email has no
// status code: there the absence of an error is the success.
export function verdictFor(outcome: AttemptOutcome): AttemptVerdict {
  if (outcome.statusCode === 410) return "gone";
  if (outcome.error !== null) return "retry";
  if (outcome.statusCode === null) return "succeeded";
  return outcome.statusCode >= 200 && outcome.statusCode < 300 ? "succeeded" : "retry";
}

export interface NextStepInput {
  outcome: AttemptOutcome;
  // Attempts in this cycle including the one just made (a redelivery starts a new cycle).
  cycleAttempts: number;
  now: number;
  // When the channel's current run of failures began, or null if its last delivery succeeded.
  channelFailingSince: number | null;
}

export type NextStep = { status: "succeeded" } | { status: "pending"; nextAttemptAt: number } | { status: "failed"; disableReason: string | null };

export function nextStep(input: NextStepInput): NextStep {
  const { outcome, cycleAttempts, now } = input;
  const verdict = verdictFor(outcome);
  switch (verdict) {
    case "succeeded":
      return { status: "succeeded" };
    case "gone":
      return {
        status: "failed",
        disableReason: `The endpoint answered 410 Gone on ${new Date(now).toISOString()}; fix the channel, then enable it again.`,
      };
    case "retry": {
      const delay = RETRY_DELAYS_MS[cycleAttempts];
      if (delay !== undefined) return { status: "pending", nextAttemptAt: now + Math.max(delay, outcome.retryAfterMs ?? 0) };
      const failingSince = input.channelFailingSince ?? now;
      if (now - failingSince < DISABLE_AFTER_FAILING_MS) return { status: "failed", disableReason: null };
      const days = Math.floor((now - failingSince) / DAY);
      return {
        status: "failed",
        disableReason:
          `Every delivery has failed since ${new Date(failingSince).toISOString()} (${days} days); ` +
          `last: ${describeOutcome(outcome)}. Fix the endpoint, then enable the channel again.`,
      };
    }
  }
}

export function describeOutcome(outcome: AttemptOutcome): string {
  if (outcome.error !== null) return outcome.statusCode === null ? outcome.error : `HTTP ${outcome.statusCode}: ${outcome.error}`;
  return outcome.statusCode === null ? "no response" : `HTTP ${outcome.statusCode}`;
}
