import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { RetentionResponse } from "../../../worker/schemas/retention";
import { DAY_MS } from "../../../worker/stats/time-range";
import { bytesOf, makeArchivedHistory, makeToken, setPlan } from "../factories";

const worker = exports.default;
let viewer = "";
let admin = "";
let expiredBytes = 0;

async function call<T>(method: string, path: string, token: string): Promise<T> {
  const res = await worker.fetch(`http://localhost${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.json<T>();
}

beforeAll(async () => {
  viewer = (await makeToken("viewer")).token;
  admin = (await makeToken("admin")).token;
  await setPlan({ plan: "professional" }, { target: "r2", bucket_binding: "LOG_EXPORT", prefix: "exports/" });
  const expired = [
    await makeArchivedHistory(Date.now() - 40 * DAY_MS, { archiveObjects: 3 }),
    await makeArchivedHistory(Date.now() - 35 * DAY_MS, { archiveObjects: 2 }),
  ];
  for (const key of expired.flatMap((h) => h.archiveKeys)) expiredBytes += (await bytesOf(env.ARCHIVE, key))!.byteLength;
  await makeArchivedHistory(Date.now() - 2 * DAY_MS, { archiveObjects: 4 });
});

describe("/api/retention after a purge of the archive", () => {
  it("reports the archive days, objects and bytes the run and the last pass deleted, and what each day's export copied", async () => {
    const ran = await call<{ status: string; archive_deleted: Record<string, number> }>("POST", "/api/retention/run", admin);
    expect(ran.status).toBe("completed");
    expect(ran.archive_deleted).toEqual({ days: 2, objects: 5, bytes: expiredBytes });

    const report = await call<RetentionResponse>("GET", "/api/retention", viewer);
    expect(report.last_finished_pass?.archive_deleted).toEqual({ days: 2, objects: 5, bytes: expiredBytes });
    expect(report.log_export.key_layout).toContain("exports/YYYY-MM-DD/archive/<job_id>/");
    const copied = report.log_export.days.map((d) => [d.status, d.archive_objects]);
    // Newest day first: the day two days ago (four objects, exported, kept), then the two expired days.
    expect(copied).toEqual([
      ["succeeded", 4],
      ["succeeded", 2],
      ["succeeded", 3],
    ]);
    expect(report.log_export.days.slice(1).reduce((sum, d) => sum + (d.archive_bytes ?? 0), 0)).toBe(expiredBytes);
  });
});
