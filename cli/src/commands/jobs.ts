import { answer, type Schemas } from "../api-client";
import { defineCommand, integerOption } from "../command";
import { EXIT } from "../exit-codes";
import { cellValue, formatTable, type Column } from "../table";
import { ACTION_WORD, RECORD_ACTIONS, type RecordAction } from "../words";

type RecordOutcome = Schemas["RecordOutcome"];
type LogLine = Schemas["LogLine"];

const JOB_ID = { name: "job-id", description: "The job (a run's `jobs[].id`, or the JOB column of `runs watch`)" };

// Drifted and Verify Mismatch records name the fields that did not hold what was expected.
function changesText(record: RecordOutcome): string {
  const changes = record.changes.map((change) => `${change.field}: ${cellValue(change.before)} → ${cellValue(change.after)}`);
  const differences = (record.differences ?? []).map(
    (difference) => `${difference.field} (${difference.side}): expected ${cellValue(difference.expected)}, found ${cellValue(difference.found)}`,
  );
  return [...changes, ...differences].join("; ");
}

const RECORD_COLUMNS: Column<RecordOutcome>[] = [
  { header: "SERIAL", value: (record) => record.serial },
  { header: "OUTCOME", value: (record) => ACTION_WORD[record.action] },
  { header: "CHANGES", value: changesText },
  { header: "HTTP", value: (record) => (record.http_status === null ? "" : String(record.http_status)), align: "right" },
  { header: "ERROR", value: (record) => record.error ?? "" },
];

const records = defineCommand({
  group: "jobs",
  name: "records",
  summary: "A job's per-serial outcomes, with each field's before → after",
  args: [JOB_ID],
  options: {
    action: { type: "string", value: "action", choices: RECORD_ACTIONS, description: "Only this outcome" },
    serial: { type: "string", value: "prefix", description: "Serials starting with this text" },
    limit: { type: "string", value: "n", description: "Records per page (1-500, default 100)" },
    cursor: { type: "string", value: "cursor", description: "The next page, as printed after a full page" },
    csv: { type: "boolean", description: "Every matching record as CSV (no paging)" },
  },
  examples: ["outbound-sync jobs records job_01jd7v0q2k8x3c5n4m6p7r8s9t --action failed", "outbound-sync jobs records job_01jd… --csv > records.csv"],
  async run(context, { args, options }) {
    const query = {
      ...(options.action === undefined ? {} : { action: options.action as RecordAction }),
      ...(options.serial === undefined ? {} : { serial: options.serial }),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      ...(options.limit === undefined ? {} : { limit: integerOption(options.limit, "limit", 1, 500) }),
    };
    const api = context.api();
    if (options.csv) {
      const csv = await answer(api.GET("/api/jobs/{id}/records", { params: { path: { id: args[0]! }, query: { ...query, format: "csv" } }, parseAs: "text" }));
      context.io.stdout(csv);
      return EXIT.ok;
    }
    const page = await answer(api.GET("/api/jobs/{id}/records", { params: { path: { id: args[0]! }, query } }));
    if (context.json) {
      context.io.stdout(JSON.stringify(page, null, 2) + "\n");
      return EXIT.ok;
    }
    context.io.stdout(page.data.length === 0 ? "No records match.\n" : formatTable(RECORD_COLUMNS, page.data));
    if (page.next_cursor) context.io.stdout(`More: --cursor ${page.next_cursor}\n`);
    return EXIT.ok;
  },
});

export function logLineText(line: LogLine): string {
  return `${line.at}  ${line.level.padEnd(5)}  ${line.serial ? `[${line.serial}] ` : ""}${line.message}`;
}

const logs = defineCommand({
  group: "jobs",
  name: "logs",
  summary: "A job's log lines, oldest first",
  args: [JOB_ID],
  options: {
    level: { type: "string", value: "levels", description: "ERROR, WARN, INFO or DEBUG; several with commas (WARN,ERROR)" },
    search: { type: "string", value: "words", description: "Lines whose message or serial hold every word (the last as a prefix)" },
    "after-seq": { type: "string", value: "seq", description: "Only lines after this seq (the cursor of a tail)" },
    limit: { type: "string", value: "n", description: "Lines per page (1-1000, default 200)" },
    all: { type: "boolean", description: "Every matching line at once, as the dashboard's log download" },
  },
  examples: ["outbound-sync jobs logs job_01jd7v0q2k8x3c5n4m6p7r8s9t --level WARN,ERROR", "outbound-sync jobs logs job_01jd… --all > job.log"],
  async run(context, { args, options }) {
    const query = {
      ...(options.level === undefined ? {} : { level: options.level }),
      ...(options.search === undefined ? {} : { q: options.search }),
      ...(options["after-seq"] === undefined ? {} : { after_seq: integerOption(options["after-seq"], "after-seq", 0) }),
      ...(options.limit === undefined ? {} : { limit: integerOption(options.limit, "limit", 1, 1000) }),
    };
    const api = context.api();
    if (options.all) {
      const text = await answer(api.GET("/api/jobs/{id}/logs", { params: { path: { id: args[0]! }, query: { ...query, download: "1" } }, parseAs: "text" }));
      context.io.stdout(text);
      return EXIT.ok;
    }
    const page = await answer(api.GET("/api/jobs/{id}/logs", { params: { path: { id: args[0]! }, query } }));
    if (context.json) {
      context.io.stdout(JSON.stringify(page, null, 2) + "\n");
      return EXIT.ok;
    }
    context.io.stdout(page.data.length === 0 ? "No log lines match.\n" : page.data.map((line) => logLineText(line) + "\n").join(""));
    if (page.next_cursor) context.io.stdout(`More: --after-seq ${page.next_cursor}\n`);
    return EXIT.ok;
  },
});

export const JOB_COMMANDS = [records, logs];
