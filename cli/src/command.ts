import { parseArgs } from "node:util";
import type { ApiClient } from "./api-client";
import type { Io, LiveSocket } from "./io";

export interface OptionSpec {
  type: "string" | "boolean";
  description: string;
  // The placeholder shown in help: --credential <id>.
  value?: string;
  multiple?: boolean;
  required?: boolean;
  choices?: readonly string[];
  short?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]?: O[K] extends { type: "boolean" } ? boolean : O[K] extends { multiple: true } ? string[] : string;
};

export interface ArgSpec {
  name: string;
  description: string;
}

export interface CommandContext {
  io: Io;
  json: boolean;
  // Created on first use, so `--help` and usage errors need neither a URL nor a token.
  api(): ApiClient;
  // The base URL the client calls, for messages.
  url: string;
  // A credential's live feed (its runs and jobs as they change); null where the CLI cannot open a WebSocket.
  liveFeed(credentialId: string): LiveSocket | null;
}

export interface Command<O extends OptionSpecs = OptionSpecs> {
  group: string;
  name: string;
  summary: string;
  description?: string;
  args: readonly ArgSpec[];
  options: O;
  examples: readonly string[];
  run(context: CommandContext, input: { args: string[]; options: OptionValues<O> }): Promise<number>;
}

// Keeps each command's option names and types together while the table of commands holds them all alike.
export function defineCommand<const O extends OptionSpecs>(command: Command<O>): Command {
  return command as unknown as Command;
}

/** A wrong command line: the message names what is wrong; the exit status is EXIT.usage. */
export class UsageError extends Error {}

// A list command's next page: the cursor it printed under a full page ("More: --cursor …").
export const CURSOR_OPTION = { type: "string", value: "cursor", description: "The next page, as printed after a full page" } as const;

export const GLOBAL_OPTIONS = {
  url: { type: "string", value: "url", description: "The worker's base URL (default: $OUTBOUND_SYNC_URL, else http://localhost:8787)" },
  token: { type: "string", value: "token", description: "API token (default: $OUTBOUND_SYNC_TOKEN)" },
  json: { type: "boolean", description: "Print JSON instead of tables" },
  help: { type: "boolean", short: "h", description: "Show help for the command" },
} as const satisfies OptionSpecs;

export type GlobalValues = OptionValues<typeof GLOBAL_OPTIONS>;

export interface ParsedCommandLine {
  globals: GlobalValues;
  args: string[];
  options: Record<string, string | boolean | string[] | undefined>;
}

/** The words after `<group> <command>`: the command's options, the global ones, and its arguments. */
export function parseCommandLine(command: Command, argv: readonly string[]): ParsedCommandLine {
  const specs: OptionSpecs = { ...command.options, ...GLOBAL_OPTIONS };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(specs).map(([name, spec]) => [
          name,
          { type: spec.type, multiple: spec.multiple ?? false, ...(spec.short ? { short: spec.short } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(parseArgsMessage(error));
  }
  const { url, token, json, help, ...options } = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const globals = { url, token, json, help } as GlobalValues;
  if (globals.help) return { globals, args: parsed.positionals, options };

  for (const [name, spec] of Object.entries(command.options)) {
    const value = options[name];
    if (spec.required && value === undefined) throw new UsageError(`Missing --${name} <${spec.value ?? "value"}>.`);
    for (const one of typeof value === "string" ? [value] : Array.isArray(value) ? value : []) {
      if (spec.choices && !spec.choices.includes(one)) {
        throw new UsageError(`--${name} must be one of ${spec.choices.join(", ")} (got "${one}").`);
      }
    }
  }
  if (parsed.positionals.length !== command.args.length) {
    const expected = command.args.map((arg) => `<${arg.name}>`).join(" ") || "no arguments";
    const extra = parsed.positionals.slice(command.args.length);
    throw new UsageError(extra.length > 0 ? `Unexpected argument "${extra[0]}": ${command.group} ${command.name} takes ${expected}.` : `Missing ${expected}.`);
  }
  return { globals, args: parsed.positionals, options };
}

// node:util's messages name the option with its dashes already; keep only the first sentence.
function parseArgsMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(/\. (?:To|Did)/)[0]!.replace(/\.$/, "") + ".";
}

/** A whole number within bounds, from a string option, or undefined when the option is absent. */
export function integerOption(value: string | undefined, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${value}").`);
  }
  return number;
}
