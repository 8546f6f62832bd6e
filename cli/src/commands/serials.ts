import { answer, type Schemas } from "../api-client";
import { defineCommand } from "../command";
import { EXIT } from "../exit-codes";
import { formatTable, type Column } from "../table";
import { ACTION_WORD } from "../words";
import { dashboardPaths, dashboardUrl } from "../../../shared/dashboard-paths";

type Standing = Schemas["SerialStanding"]["connections"][number];

const STANDING_COLUMNS: Column<Standing>[] = [
  { header: "CONNECTION", value: (entry) => entry.connection_id },
  { header: "NAME", value: (entry) => entry.connection_name },
  { header: "LATEST OUTCOME", value: (entry) => `${ACTION_WORD[entry.action]}${entry.mode === "dry" ? " (dry run)" : ""}` },
  { header: "SINCE", value: (entry) => entry.since },
  { header: "JOB", value: (entry) => (entry.job_kept ? entry.job_id : `${entry.job_id} (deleted by retention)`) },
];

const show = defineCommand({
  group: "serials",
  name: "show",
  summary: "One serial's latest outcome on every connection",
  description:
    "For “why did device X not update?”: each connection that has decided the serial, in execution order, with its latest outcome, " +
    "since when and the job that recorded it (`jobs records <job> --serial <serial>` shows why), then the dashboard's page of it.",
  args: [{ name: "serial", description: "The serial, exactly" }],
  options: {},
  examples: ["outbound-sync serials show DEV-00042", "outbound-sync serials show DEV-00042 --json"],
  async run(context, { args }) {
    const standing = await answer(context.api().GET("/api/serials/latest", { params: { query: { serial: args[0]! } } }));
    if (context.json) {
      context.io.stdout(JSON.stringify(standing, null, 2) + "\n");
      return EXIT.ok;
    }
    context.io.stdout(
      standing.connections.length === 0
        ? `No run has decided ${standing.serial} yet.\n`
        : `Serial ${standing.serial}:\n${formatTable(STANDING_COLUMNS, standing.connections)}`,
    );
    context.io.stdout(`Dashboard: ${dashboardUrl(context.url, dashboardPaths.serialRuns(standing.serial))}\n`);
    return EXIT.ok;
  },
});

export const SERIAL_COMMANDS = [show];
