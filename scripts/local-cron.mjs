// Cloudflare fires a Worker's cron triggers on their minutes; `wrangler dev` only offers them at
// /cdn-cgi/handler/scheduled. npm start calls that for each trigger in wrangler.toml when it is due, so schedules,
// heartbeats, alert retries and retention run locally as they do deployed. LOCAL_CRON=off leaves it to curl.

const MINUTE_MS = 60_000;

/** The `crons = [...]` of wrangler.toml's [triggers]. */
export function cronTriggers(tomlText) {
  const list = /^\s*crons\s*=\s*\[([^\]]*)\]/m.exec(tomlText)?.[1] ?? "";
  return [...list.matchAll(/"([^"]+)"/g)].map((match) => match[1]);
}

// One field of a 5-field cron: "*", "n", "a-b", lists of those, each with an optional "/step".
function fieldMatches(field, value, min, max) {
  return field.split(",").some((part) => {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let [from, to] = range === "*" ? [min, max] : range.split("-").map(Number);
    if (to === undefined) to = stepText === undefined ? from : max;
    if (![from, to, step].every(Number.isInteger) || step < 1) throw new Error(`unsupported cron field "${field}"`);
    return value >= from && value <= to && (value - from) % step === 0;
  });
}

/** Whether a 5-field UTC cron expression fires at `date`'s minute (day of month or of week, as cron reads them). */
export function cronMatches(expression, date) {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron "${expression}" does not have 5 fields`);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields;
  const weekday = date.getUTCDay();
  const domMatch = fieldMatches(dayOfMonth, date.getUTCDate(), 1, 31);
  const dowMatch = fieldMatches(dayOfWeek, weekday, 0, 7) || (weekday === 0 && fieldMatches(dayOfWeek, 7, 0, 7));
  const day = dayOfMonth !== "*" && dayOfWeek !== "*" ? domMatch || dowMatch : domMatch && dowMatch;
  return (
    fieldMatches(minute, date.getUTCMinutes(), 0, 59) &&
    fieldMatches(hour, date.getUTCHours(), 0, 23) &&
    fieldMatches(month, date.getUTCMonth() + 1, 1, 12) &&
    day
  );
}

/**
 * Calls the dev server's scheduled handler for every trigger due, just after each minute starts, until stopped.
 * A server that does not answer (still starting) is said once, not every minute; a trigger this cannot read (names,
 * L, W, #) is said at start and left to curl.
 */
export function startLocalCron({ port, crons: given, fetchImpl = fetch, now = Date.now, timers = globalThis, log = console.log }) {
  const crons = given.filter((cron) => {
    try {
      cronMatches(cron, new Date(0));
      return true;
    } catch (error) {
      log(`local cron: "${cron}" is not fired locally (${error instanceof Error ? error.message : error}); trigger it with curl`);
      return false;
    }
  });
  let timer = null;
  let quiet = false;
  const fire = async (minute) => {
    for (const cron of crons.filter((expression) => cronMatches(expression, new Date(minute)))) {
      try {
        const response = await fetchImpl(`http://127.0.0.1:${port}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron)}`);
        await response.arrayBuffer();
        quiet = false;
      } catch (error) {
        if (!quiet) log(`local cron: "${cron}" could not reach the dev server (${error instanceof Error ? error.message : error}); retrying each minute`);
        quiet = true;
      }
    }
  };
  const next = () => {
    const minute = Math.floor(now() / MINUTE_MS + 1) * MINUTE_MS;
    timer = timers.setTimeout(
      () => {
        void fire(minute).finally(() => {
          if (timer !== null) next();
        });
      },
      minute - now() + 50,
    );
  };
  next();
  return {
    stop() {
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
  };
}
