import type { operations } from "../../generated/api-types";
import { answer, type Schemas } from "../api-client";
import { REQUEST_COLUMNS, requestText } from "../request-views";
import { CURSOR_OPTION, defineCommand, integerOption } from "../command";
import { EXIT } from "../exit-codes";
import { outcomeQuery } from "../outcome-query";
import { cellValue, formatTable, type Column } from "../table";
import { ACTION_WORD, RECORD_ACTIONS } from "../words";

type RecordOutcome = Schemas["RecordOutcome"];
type LogLine = Schemas["LogLine"];
type RequestQuery = NonNullable<operations["listJobRequests"]["parameters"]["query"]>;

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
    cursor: CURSOR_OPTION,
    csv: { type: "boolean", description: "Every matching record as CSV (no paging)" },
  },
  examples: ["outbound-sync jobs records job_01jd7v0q2k8x3c5n4m6p7r8s9t --action failed", "outbound-sync jobs records job_01jd… --csv > records.csv"],
  async run(context, { args, options }) {
    const query = outcomeQuery(options);
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

const REQUEST_PHASES = ["source", "lookup", "listing", "update", "readback", "token"] as const satisfies readonly NonNullable<RequestQuery["phase"]>[];
const REQUEST_STATUSES = ["2xx", "3xx", "4xx", "5xx", "error"] as const satisfies readonly NonNullable<RequestQuery["status"]>[];

const requests = defineCommand({
  group: "jobs",
  name: "requests",
  summary: "A job's destination requests, oldest first, as the request inspector shows them",
  description: "With --seq, one request in full: the headers and bodies sent and received (credentials masked; bodies for operators and admins).",
  args: [JOB_ID],
  options: {
    seq: { type: "string", value: "n", description: "Only this request (the SEQ column), in full" },
    status: { type: "string", value: "class", choices: REQUEST_STATUSES, description: "Only answers of this class (error: no answer)" },
    phase: { type: "string", value: "phase", choices: REQUEST_PHASES, description: "Only requests of this phase" },
    serial: { type: "string", value: "serial", description: "Only requests about this serial" },
    method: { type: "string", value: "method", description: "Only this HTTP method" },
    url: { type: "string", value: "text", description: "Only URLs containing this text" },
    limit: { type: "string", value: "n", description: "Requests per page (1-500, default 100)" },
    cursor: CURSOR_OPTION,
  },
  examples: ["outbound-sync jobs requests job_01jd7v0q2k8x3c5n4m6p7r8s9t --status 5xx", "outbound-sync jobs requests job_01jd… --seq 42"],
  async run(context, { args, options }) {
    const api = context.api();
    const id = args[0]!;
    if (options.seq !== undefined) {
      const entry = await answer(api.GET("/api/jobs/{id}/requests/{seq}", { params: { path: { id, seq: integerOption(options.seq, "seq", 1)! } } }));
      context.io.stdout(context.json ? JSON.stringify(entry, null, 2) + "\n" : requestText(entry));
      return EXIT.ok;
    }
    const query: RequestQuery = {
      ...(options.status === undefined ? {} : { status: options.status as RequestQuery["status"] }),
      ...(options.phase === undefined ? {} : { phase: options.phase as RequestQuery["phase"] }),
      ...(options.serial === undefined ? {} : { serial: options.serial }),
      ...(options.method === undefined ? {} : { method: options.method }),
      ...(options.url === undefined ? {} : { url: options.url }),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      ...(options.limit === undefined ? {} : { limit: integerOption(options.limit, "limit", 1, 500) }),
    };
    const page = await answer(api.GET("/api/jobs/{id}/requests", { params: { path: { id }, query } }));
    if (context.json) {
      context.io.stdout(JSON.stringify(page, null, 2) + "\n");
      return EXIT.ok;
    }
    context.io.stdout(page.data.length === 0 ? "No requests match.\n" : formatTable(REQUEST_COLUMNS, page.data));
    if (page.next_cursor) context.io.stdout(`More: --cursor ${page.next_cursor}\n`);
    return EXIT.ok;
  },
});

export const JOB_COMMANDS = [records, logs, requests];
