import { describe, expect, it } from "vitest";
import type { LogPage } from "../../../worker/schemas/runs";
import { apiGet, HISTORY_LAYOUTS, makeReadApiApp, makeToken, type HistoryLayout } from "../factories";

async function jobWithLogs({ makeRun, makeLogs }: HistoryLayout) {
  const app = makeReadApiApp();
  const { token } = await makeToken("viewer");
  const job = (await makeRun({ status: "running" })).jobs[0]!;
  await makeLogs(job, [
    { level: "INFO", message: "Stream started: 5 records in scope" },
    { level: "DEBUG", message: "Looked up destination record", serial: "SN-001" },
    { level: "WARN", message: "Rate limited (429); waiting 2 s as Retry-After asked" },
    { level: "ERROR", message: "PATCH answered 405 Method Not Allowed — verify method in Update API Contract", serial: "SN-002" },
    { level: "WARN", message: "Retrying after a timeout (attempt 2 of 3)", serial: "SN-003" },
    { level: "INFO", message: "Stream finished: 5 processed in 3.2 s" },
  ]);
  return { job, get: (path: string) => apiGet(app, token, path) };
}

const seqs = (page: LogPage) => page.data.map((line) => line.seq);

describe.each(HISTORY_LAYOUTS)("GET /api/jobs/{id}/logs from $name", (layout) => {
  const { makeLogs } = layout;
  it("answers lines in order with ISO times, paging by seq", async () => {
    const { job, get } = await jobWithLogs(layout);
    const first = await (await get(`/api/jobs/${job.id}/logs?limit=4`)).json<LogPage>();
    expect(seqs(first)).toEqual([1, 2, 3, 4]);
    expect(first.next_cursor).toBe("4");
    expect(first.data[1]).toEqual({
      job_id: job.id,
      seq: 2,
      at: new Date(job.created_at + 1).toISOString(),
      level: "DEBUG",
      message: "Looked up destination record",
      serial: "SN-001",
    });
    const rest = await (await get(`/api/jobs/${job.id}/logs?limit=4&after_seq=${first.next_cursor}`)).json<LogPage>();
    expect(seqs(rest)).toEqual([5, 6]);
    expect(rest.next_cursor).toBeNull();
  });

  it("filters by one level or several", async () => {
    const { job, get } = await jobWithLogs(layout);
    expect(seqs(await (await get(`/api/jobs/${job.id}/logs?level=WARN`)).json<LogPage>())).toEqual([3, 5]);
    expect(seqs(await (await get(`/api/jobs/${job.id}/logs?level=ERROR,WARN`)).json<LogPage>())).toEqual([3, 4, 5]);
    const bad = await get(`/api/jobs/${job.id}/logs?level=LOUD`);
    expect(bad.status).toBe(400);
    expect((await bad.json<{ error: { details: Array<{ path: string }> } }>()).error.details[0]!.path).toBe("level");
  });

  it("searches messages and serials in full text, the last word as a prefix", async () => {
    const { job, get } = await jobWithLogs(layout);
    const search = async (q: string) => seqs(await (await get(`/api/jobs/${job.id}/logs?q=${encodeURIComponent(q)}`)).json<LogPage>());
    expect(await search("retry")).toEqual([3, 5]);
    expect(await search("rate lim")).toEqual([3]);
    expect(await search("SN-002")).toEqual([4]);
    expect(await search("stream")).toEqual([1, 6]);
  });

  it("treats FTS syntax in a search as plain words, never as an error", async () => {
    const { job, get } = await jobWithLogs(layout);
    for (const q of ['"unbalanced', "NEAR(a b)", "status:*", "AND OR NOT", "^x", "405)", "-- ; DROP TABLE logs"]) {
      const res = await get(`/api/jobs/${job.id}/logs?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      await res.arrayBuffer();
    }
    const matched = await (await get(`/api/jobs/${job.id}/logs?q=${encodeURIComponent("405)")}`)).json<LogPage>();
    expect(seqs(matched)).toEqual([4]);
  });

  it("tails: after_seq answers only the lines written since, with search and level kept", async () => {
    const { job, get } = await jobWithLogs(layout);
    const tail = await (await get(`/api/jobs/${job.id}/logs?after_seq=6`)).json<LogPage>();
    expect(tail.data).toEqual([]);
    await makeLogs(
      job,
      [
        { level: "WARN", message: "Retrying after a 503 (attempt 1 of 3)" },
        { level: "INFO", message: "Stream finished again" },
      ],
      7,
    );
    expect(seqs(await (await get(`/api/jobs/${job.id}/logs?after_seq=6`)).json<LogPage>())).toEqual([7, 8]);
    expect(seqs(await (await get(`/api/jobs/${job.id}/logs?after_seq=5&level=WARN&q=retrying`)).json<LogPage>())).toEqual([7]);
  });

  it("downloads every matching line as a text attachment", async () => {
    const { job, get } = await jobWithLogs(layout);
    const res = await get(`/api/jobs/${job.id}/logs?download=1&level=WARN,ERROR&limit=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    expect(res.headers.get("Content-Disposition")).toBe(`attachment; filename="${job.id}-logs.txt"`);
    const at = (seq: number) => new Date(job.created_at + seq - 1).toISOString();
    expect(await res.text()).toBe(
      `${at(3)} WARN  Rate limited (429); waiting 2 s as Retry-After asked\n` +
        `${at(4)} ERROR [SN-002] PATCH answered 405 Method Not Allowed — verify method in Update API Contract\n` +
        `${at(5)} WARN  [SN-003] Retrying after a timeout (attempt 2 of 3)\n`,
    );
  });

  it("answers 404 for an unknown job", async () => {
    const { get } = await jobWithLogs(layout);
    const res = await get("/api/jobs/job_nope/logs");
    expect(res.status).toBe(404);
    await res.arrayBuffer();
  });
});
