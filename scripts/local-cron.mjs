// Cloudflare fires a Worker's cron triggers on their minutes; `wrangler dev` only offers them at
// /cdn-cgi/handler/scheduled. npm start calls that for each trigger in wrangler.toml when it is due, so schedules,
// heartbeats, alert retries and retention run locally as they do deployed. LOCAL_CRON=off leaves it to curl.

import { Cron } from "croner";

const MINUTE_MS = 60_000;

/** The `crons = [...]` of wrangler.toml's [triggers]. */
export function cronTriggers(tomlText) {
  const list = /^\s*crons\s*=\s*\[([^\]]*)\]/m.exec(tomlText)?.[1] ?? "";
  return [...list.matchAll(/"([^"]+)"/g)].map((match) => match[1]);
}

/** Whether a 5-field UTC cron expression fires at `date`'s minute, read by croner as the worker reads schedules. */
export function cronMatches(expression, date) {
  return readCron(expression).match(date);
}

function readCron(expression) {
  if (expression.trim().split(/\s+/).length !== 5) throw new Error(`cron "${expression}" does not have 5 fields`);
  return new Cron(expression, { mode: "5-part", timezone: "UTC", paused: true });
}

/**
 * Calls the dev server's scheduled handler for every trigger due, just after each minute starts, until stopped.
 * A server that does not answer (still starting) is said once, not every minute; a trigger croner cannot read is
 * said at start and left to curl.
 */
export function startLocalCron({ port, crons: given, fetchImpl = fetch, now = Date.now, timers = globalThis, log = console.log }) {
  const crons = given.flatMap((expression) => {
    try {
      return [{ expression, schedule: readCron(expression) }];
    } catch (error) {
      log(`local cron: "${expression}" is not fired locally (${error instanceof Error ? error.message : error}); trigger it with curl`);
      return [];
    }
  });
  let timer = null;
  let quiet = false;
  let announced = false;
  const fire = async (minute) => {
    for (const { expression: cron } of crons.filter(({ schedule }) => schedule.match(new Date(minute)))) {
      try {
        const response = await fetchImpl(`http://127.0.0.1:${port}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron)}`);
        await response.arrayBuffer();
        quiet = false;
        // Said once, after wrangler's own start-up warning that scheduled Workers are not triggered locally.
        if (!announced)
          log(
            `local cron: "${cron}" fired at ${new Date(minute).toISOString().slice(11, 16)} UTC; wrangler's "not automatically triggered" warning does not apply to npm start`,
          );
        announced = true;
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
