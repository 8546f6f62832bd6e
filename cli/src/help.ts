import { GLOBAL_OPTIONS, type Command, type OptionSpecs } from "./command";
import { COMMANDS, GROUPS } from "./commands/index";
import { EXIT } from "./exit-codes";

const BIN = "outbound-sync";

function optionLines(options: OptionSpecs): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.type === "string" ? ` <${spec.value ?? "value"}>` : ""}`;
    const choices = spec.choices ? ` [${spec.choices.join("|")}]` : "";
    const notes = [spec.required ? "required" : "", spec.multiple ? "repeatable" : ""].filter(Boolean).join(", ");
    return [flag, `${spec.description}${choices}${notes ? ` (${notes})` : ""}`] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

function usageLine(command: Command): string {
  const required = Object.entries(command.options)
    .filter(([, spec]) => spec.required)
    .map(([name, spec]) => `--${name} <${spec.value ?? "value"}>`);
  const args = command.args.map((arg) => `<${arg.name}>`);
  return [BIN, command.group, command.name, ...args, ...required, "[options]"].join(" ");
}

/** After a usage error: the usage line and where the full help is, not the whole help. */
export function shortUsage(command: Command): string {
  return `Usage: ${usageLine(command)}\nRun \`${BIN} ${command.group} ${command.name} --help\` for its options.\n`;
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: ${usageLine(command)}`, "", command.summary + "."];
  if (command.description) lines.push(command.description);
  if (command.args.length > 0) {
    const width = Math.max(...command.args.map((arg) => arg.name.length + 2));
    lines.push("", "Arguments:", ...command.args.map((arg) => `  ${`<${arg.name}>`.padEnd(width)}  ${arg.description}`));
  }
  if (Object.keys(command.options).length > 0) lines.push("", "Options:", ...optionLines(command.options));
  lines.push("", "Global options:", ...optionLines(GLOBAL_OPTIONS));
  if (command.examples.length > 0) lines.push("", "Examples:", ...command.examples.map((example) => `  ${example}`));
  return lines.join("\n") + "\n";
}

function commandList(commands: readonly Command[]): string[] {
  const width = Math.max(...commands.map((command) => `${command.group} ${command.name}`.length));
  return commands.map((command) => `  ${`${command.group} ${command.name}`.padEnd(width)}  ${command.summary}`);
}

export function groupHelp(group: string): string {
  const commands = COMMANDS.filter((command) => command.group === group);
  return (
    [
      `Usage: ${BIN} ${group} <command> [options]`,
      "",
      "Commands:",
      ...commandList(commands),
      "",
      `${BIN} ${group} <command> --help shows a command's options.`,
    ].join("\n") + "\n"
  );
}

export function mainHelp(): string {
  return (
    [
      `Usage: ${BIN} <${GROUPS.join("|")}> <command> [options]`,
      "",
      "Outbound Sync from the command line: start and follow runs, read job outcomes and logs, plan and apply",
      "configuration as code, create API tokens.",
      "",
      "Commands:",
      ...commandList(COMMANDS),
      "",
      "Global options:",
      ...optionLines(GLOBAL_OPTIONS),
      "",
      "Environment:",
      "  OUTBOUND_SYNC_URL    the worker's base URL (http://localhost:8787 when unset)",
      "  OUTBOUND_SYNC_TOKEN  the API token (npm start saves a local admin token in .wrangler/admin-token.txt)",
      "",
      "Exit status:",
      `  ${EXIT.ok} success; ${EXIT.error} the API refused the request or could not be reached; ${EXIT.usage} wrong command line;`,
      `  runs watch: ${EXIT.runFailed} the run failed, ${EXIT.runCanceled} it was canceled, ${EXIT.watchTimedOut} --timeout ran out,`,
      `  ${EXIT.recordsFailed} it completed with more failed records than --max-failed-records;`,
      `  config plan --exit-code: ${EXIT.planHasChanges} applying the document would change something.`,
      "",
      `${BIN} <group> <command> --help shows a command's options.`,
    ].join("\n") + "\n"
  );
}
