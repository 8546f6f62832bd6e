// The worker the retention/stats benchmark runs inside workerd (bundled by bench/retention-stats.bench.ts).
// It exposes just enough to seed the local D1, run retention invocations and time the stats queries.
import { getJobStatus } from "../../worker/mcp/job-status-tool";
import { listConnections } from "../../worker/mcp/connections-tool";
import { runRetention } from "../../worker/retention/retention-pass";
import { buildStatsReport } from "../../worker/stats/stats-report";
import * as stats from "../../worker/ledger/stats";
import { windowStats } from "../../worker/ledger/stats-window";

const DAY_MS = 86_400_000;

async function timed(run) {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const now = Number(url.searchParams.get("now") ?? Date.now());
    switch (url.pathname) {
      case "/sql": {
        const { sql, params = [] } = await request.json();
        const started = performance.now();
        const result = await env.LEDGER.prepare(sql)
          .bind(...params)
          .run();
        return Response.json({ ms: performance.now() - started, changes: result.meta.changes, duration: result.meta.duration });
      }
      case "/purge": {
        const realStart = Date.now();
        const started = performance.now();
        const result = await runRetention(env, {
          now: () => now + (Date.now() - realStart),
          mayStart: url.searchParams.get("start") === "1",
          budgetMs: Number(url.searchParams.get("budget") ?? 20_000),
          target: null,
        });
        return Response.json({ ms: performance.now() - started, result });
      }
      case "/stats": {
        const db = env.LEDGER;
        const figures = {
          stats_24h: await timed(() =>
            buildStatsReport(db, { window: { since: now - DAY_MS, until: now }, noSuccessSince: now - 3 * DAY_MS, failuresLimit: 10, recentPerConnection: 20 }),
          ),
          stats_7d: await timed(() =>
            buildStatsReport(db, {
              window: { since: now - 7 * DAY_MS, until: now },
              noSuccessSince: now - 3 * DAY_MS,
              failuresLimit: 10,
              recentPerConnection: 20,
            }),
          ),
          mcp_failed_last_24h: await timed(() => getJobStatus(db, { status: "failed", since: "24h", limit: 20 }, now)),
          mcp_salesforce_this_week: await timed(() => getJobStatus(db, { connection: "salesforce", since: "7d", status: "completed", limit: 20 }, now)),
          mcp_no_success_3d: await timed(() => listConnections(db, { no_success_since: "3d", include_disabled: true }, now)),
        };
        return Response.json(figures);
      }
      case "/profile": {
        const db = env.LEDGER;
        const window = { since: now - Number(url.searchParams.get("days") ?? 7) * DAY_MS, until: now };
        const queries = {
          runCounts: stats.runCountsQuery(db, window),
          failures: stats.recentFailuresQuery(db, window, 10),
          health: stats.connectionHealthQuery(db),
          recent: stats.recentJobsQuery(db, 20),
        };
        const out = {};
        for (const [name, q] of Object.entries(queries)) {
          const started = performance.now();
          const result = await q.statement.run();
          out[name] = { wall: performance.now() - started, sql: result.meta.duration };
        }
        let started = performance.now();
        await windowStats(db, window, null);
        out.windowStats = { wall: performance.now() - started };
        started = performance.now();
        await db.prepare("SELECT 1").run();
        out.ping = { wall: performance.now() - started };
        return Response.json(out);
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
