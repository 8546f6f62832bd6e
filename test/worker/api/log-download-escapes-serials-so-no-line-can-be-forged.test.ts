import { describe, expect, it } from "vitest";
import { apiGet, HISTORY_LAYOUTS, type HistoryLayout, type LogFixture, makeReadApiApp, makeToken } from "../factories";

const FORGED = "\n2026-01-01 ERROR forged";

async function download({ makeRun, makeLogs }: HistoryLayout, lines: LogFixture[]): Promise<string> {
  const app = makeReadApiApp();
  const { token } = await makeToken("viewer");
  const job = (await makeRun({ status: "completed" })).jobs[0]!;
  await makeLogs(job, lines);
  const res = await apiGet(app, token, `/api/jobs/${job.id}/logs?download=1`);
  expect(res.status).toBe(200);
  return res.text();
}

// Every line of the file is a log line (ISO time first) or an indented continuation of one.
function expectOnlyRealLines(text: string, count: number): void {
  const lines = text.split(/\r\n|\r|\n|\u2028|\u2029|\u0085/).slice(0, -1);
  expect(lines.filter((l) => /^\d{4}-\d\d-\d\dT/.test(l))).toHaveLength(count);
  for (const line of lines) expect(line, JSON.stringify(line)).toMatch(/^(\d{4}-\d\d-\d\dT\S+ (DEBUG|INFO |WARN |ERROR) | {4})/);
  expect(text).not.toMatch(/(^|[\r\n])2026-01-01 ERROR forged/);
}

describe.each(HISTORY_LAYOUTS)("GET /api/jobs/{id}/logs?download=1 from $name", (layout) => {
  it("escapes a serial holding a newline, so it cannot start a forged line", async () => {
    const text = await download(layout, [{ level: "INFO", message: "Looked up destination record", serial: `SN-9${FORGED}` }]);
    expectOnlyRealLines(text, 1);
    expect(text).toContain("[SN-9\\n2026-01-01 ERROR forged] Looked up destination record\n");
  });

  it("escapes carriage returns and other control characters in serials and messages", async () => {
    const text = await download(layout, [
      { level: "WARN", message: "Destination said:\rok", serial: "SN-1\r2026-01-01 ERROR forged" },
      { level: "INFO", message: `line one${FORGED}\u2028more\u001b[2Kcleared`, serial: "SN-2\u0000\u0085" },
    ]);
    expectOnlyRealLines(text, 2);
    expect(text).toContain("[SN-1\\r2026-01-01 ERROR forged] Destination said:\\rok\n");
    expect(text).toContain("[SN-2\\u0000\\u0085] line one\n    2026-01-01 ERROR forged\\u2028more\\u001b[2Kcleared\n");
  });
});
