import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RECORD_ACTIONS } from "../../../worker/engine/reconcile";
import type { JobRow } from "../../../worker/ledger/run-rows";
import type { LogPage, RecordOutcomePage } from "../../../worker/schemas/runs";
import { LOG_LEVELS } from "../../../worker/schemas/vocabulary";
import {
  apiGet,
  archiveLogs,
  archiveOutcomes,
  makeArchivedRun,
  makeLogs,
  makeOutcomes,
  makeReadApiApp,
  makeLegacyRun,
  makeToken,
  type LogFixture,
  type OutcomeFixture,
} from "../factories";

// The same outcomes and lines, written once as D1 rows of a legacy job and once as archive chunks of a new
// job, must page, filter, search and export identically: the archive is a new home, not a new meaning.

const serial = fc.tuple(fc.constantFrom("SN-0", "SN-1", "SN-10", "AB-", "ab-", "Z"), fc.integer({ min: 0, max: 60 })).map(([head, n]) => `${head}${n}`);
const outcome: fc.Arbitrary<OutcomeFixture> = fc.record({
  serial,
  action: fc.constantFrom(...RECORD_ACTIONS),
  changes: fc.option(
    fc.array(fc.record({ field: fc.constantFrom("site", "status"), before: fc.string({ maxLength: 3 }), after: fc.integer() }), { maxLength: 2 }),
    {
      nil: undefined,
    },
  ),
  http_status: fc.option(fc.constantFrom(200, 400, 503), { nil: null }),
});
// Each flush is one chunk, with overlapping serial ranges; the last one retries serials of earlier flushes
// with another outcome, which must win (a record retried in a later slice).
const dedupe = (chunk: OutcomeFixture[]) => [...new Map(chunk.map((o) => [o.serial, o])).values()];
const flushes = fc
  .tuple(
    fc.array(fc.array(outcome, { minLength: 1, maxLength: 25 }), { minLength: 1, maxLength: 4 }),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...RECORD_ACTIONS)), { minLength: 1, maxLength: 10 }),
  )
  .map(([chunks, retries]) => {
    const written = chunks.flat();
    const retried = retries.map(([i, action]) => ({ ...written[i % written.length]!, action }));
    return [...chunks, retried].map(dedupe);
  });
const recordQuery = fc.record({
  action: fc.option(fc.constantFrom(...RECORD_ACTIONS), { nil: undefined }),
  prefix: fc.option(fc.constantFrom("S", "SN-1", "SN-10", "ab", "Z", "SN-0", "Q"), { nil: undefined }),
  limit: fc.integer({ min: 2, max: 12 }),
});

const WORDS = ["Retrying", "retry", "rate-limited", "Rate", "limit", "405", "Café", "CAFE", "time.out", "SN-001", "x_y", "(429)", "Ünïcode", "日本語", "a'b"];
const line: fc.Arbitrary<LogFixture> = fc.record({
  level: fc.constantFrom(...LOG_LEVELS),
  message: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 5 }).map((words) => words.join(" ")),
  serial: fc.option(serial, { nil: undefined }),
});
const logFlushes = fc.array(fc.array(line, { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 4 });
const searchText = fc
  .array(fc.constantFrom(...WORDS, "re", "lim", "caf", "sn-0", "--", '"x', "ü"), { minLength: 1, maxLength: 3 })
  .chain((words) => fc.constantFrom(words.join(" "), words.join(" ").toUpperCase(), words.join(" ").slice(0, -1)))
  .filter((text) => text.trim().length > 0);
const logQuery = fc.record({
  levels: fc.option(fc.subarray([...LOG_LEVELS], { minLength: 1 }), { nil: undefined }),
  q: fc.option(searchText, { nil: undefined }),
  afterSeq: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
  limit: fc.integer({ min: 3, max: 15 }),
});

type Get = (path: string) => Promise<Response>;

async function reader(): Promise<Get> {
  const app = makeReadApiApp();
  const { token } = await makeToken("viewer");
  return (path) => apiGet(app, token, path);
}

// Responses name their own job and run; everything else must be the same text.
function neutral(text: string, job: JobRow): string {
  return text.replaceAll(job.id, "JOB").replaceAll(job.run_id, "RUN");
}

async function everyPage(get: Get, job: JobRow, path: (cursor: string | null) => string): Promise<string[]> {
  const pages: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await get(path(cursor));
    expect(res.status).toBe(200);
    const text = await res.text();
    pages.push(neutral(text, job));
    cursor = (JSON.parse(text) as RecordOutcomePage | LogPage).next_cursor;
  } while (cursor !== null);
  return pages;
}

const createdAt = Date.UTC(2026, 11, 5, 12, 0, 0);

describe("an archived job and a legacy job holding the same history", () => {
  it("page, filter by action and serial prefix, and export CSV identically", async () => {
    const get = await reader();
    await fc.assert(
      fc.asyncProperty(flushes, fc.array(recordQuery, { minLength: 2, maxLength: 3 }), async (chunks, queries) => {
        const legacy = (await makeLegacyRun({ created_at: createdAt })).jobs[0]!;
        const archived = (await makeArchivedRun({ created_at: createdAt })).jobs[0]!;
        for (const chunk of chunks) {
          await makeOutcomes(legacy, chunk);
          await archiveOutcomes(archived, chunk);
        }
        for (const { action, prefix, limit } of queries) {
          const query = (cursor: string | null) =>
            new URLSearchParams({
              limit: String(limit),
              ...(action === undefined ? {} : { action }),
              ...(prefix === undefined ? {} : { serial: prefix }),
              ...(cursor === null ? {} : { cursor }),
            }).toString();
          const expected = await everyPage(get, legacy, (cursor) => `/api/jobs/${legacy.id}/records?${query(cursor)}`);
          const actual = await everyPage(get, archived, (cursor) => `/api/jobs/${archived.id}/records?${query(cursor)}`);
          expect(actual).toEqual(expected);
          const csv = async (job: JobRow) => neutral(await (await get(`/api/jobs/${job.id}/records?format=csv&${query(null)}`)).text(), job);
          expect(await csv(archived)).toBe(await csv(legacy));
        }
      }),
      { numRuns: 8, seed: 1505 },
    );
  }, 120_000);

  it("filter logs by level, search them, tail them and download them identically", async () => {
    const get = await reader();
    await fc.assert(
      fc.asyncProperty(logFlushes, fc.array(logQuery, { minLength: 2, maxLength: 4 }), async (chunks, queries) => {
        const legacy = (await makeLegacyRun({ created_at: createdAt, status: "running" })).jobs[0]!;
        const archived = (await makeArchivedRun({ created_at: createdAt, status: "running" })).jobs[0]!;
        let seq = 1;
        for (const chunk of chunks) {
          await makeLogs(legacy, chunk, seq);
          await archiveLogs(archived, chunk, seq);
          seq += chunk.length;
        }
        for (const { levels, q, afterSeq, limit } of queries) {
          const query = (cursor: string | null) =>
            new URLSearchParams({
              limit: String(limit),
              ...(levels === undefined ? {} : { level: levels.join(",") }),
              ...(q === undefined ? {} : { q }),
              ...(cursor !== null ? { after_seq: cursor } : afterSeq === undefined ? {} : { after_seq: String(afterSeq) }),
            }).toString();
          const expected = await everyPage(get, legacy, (cursor) => `/api/jobs/${legacy.id}/logs?${query(cursor)}`);
          const actual = await everyPage(get, archived, (cursor) => `/api/jobs/${archived.id}/logs?${query(cursor)}`);
          expect(actual, JSON.stringify({ levels, q, afterSeq })).toEqual(expected);
          const download = async (job: JobRow) => neutral(await (await get(`/api/jobs/${job.id}/logs?download=1&${query(null)}`)).text(), job);
          expect(await download(archived)).toBe(await download(legacy));
        }
      }),
      { numRuns: 8, seed: 1505 },
    );
  }, 120_000);

  it("agree on searches FTS5 reads in its own way: diacritics, case, punctuation inside a word, empty words", async () => {
    const get = await reader();
    const lines: LogFixture[] = [
      { level: "INFO", message: "Café crème for e\u0301x" },
      { level: "WARN", message: "İstanbul office; rate-limited (429)", serial: "SN-0-9" },
      { level: "ERROR", message: "x²y and ﬁle and straße" },
      { level: "DEBUG", message: "日本語 テキスト a_b" },
    ];
    const legacy = (await makeLegacyRun({ created_at: createdAt })).jobs[0]!;
    const archived = (await makeArchivedRun({ created_at: createdAt })).jobs[0]!;
    await makeLogs(legacy, lines);
    await archiveLogs(archived, lines);
    const searches = [
      "cafe",
      "CRÈME",
      "ex",
      "istanbul",
      "rate limited",
      "limited-rate",
      "429)",
      "sn-0-9",
      "sn 0",
      "x2y",
      "x",
      "file",
      "strasse",
      "テキ",
      "a",
      "b",
      "--",
      "-- cafe",
      "cafe --",
      '"',
      "e",
    ];
    for (const q of searches) {
      const search = async (job: JobRow) => (await (await get(`/api/jobs/${job.id}/logs?q=${encodeURIComponent(q)}`)).json<LogPage>()).data.map((l) => l.seq);
      expect(await search(archived), q).toEqual(await search(legacy));
    }
  });
});
