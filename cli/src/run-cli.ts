import { ApiRequestError, ApiUnreachableError, createApiClient, describeError, type ApiClient } from "./api-client";
import { GLOBAL_OPTIONS, parseCommandLine, UsageError, type CommandContext, type GlobalValues, type OptionValues, type OptionSpecs } from "./command";
import { COMMANDS, GROUPS } from "./commands/index";
import { EXIT } from "./exit-codes";
import { commandHelp, groupHelp, mainHelp, shortUsage } from "./help";
import type { Io } from "./io";
import { LIVE_BEARER_PROTOCOL, liveFeedUrl } from "../../shared/live-feed";

export const DEFAULT_URL = "http://localhost:8787";

/** Runs one command line and answers the exit status; everything it prints goes through `io`. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [group, name, ...rest] = argv;
  if (group === undefined || group === "--help" || group === "-h" || group === "help") {
    (group === undefined ? io.stderr : io.stdout)(mainHelp());
    return group === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!GROUPS.includes(group)) {
    const hint = Object.hasOwn(GLOBAL_OPTIONS, group.replace(/^--/, "").split("=")[0]!) ? " Options go after the command." : "";
    io.stderr(`Unknown command "${group}".${hint}\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  const command = COMMANDS.find((candidate) => candidate.group === group && candidate.name === name);
  if (!command) {
    const asked = name === undefined || name === "--help" || name === "-h";
    if (!asked) io.stderr(`Unknown command "${group} ${name}".\n\n`);
    (asked && name !== undefined ? io.stdout : io.stderr)(groupHelp(group));
    return asked && name !== undefined ? EXIT.ok : EXIT.usage;
  }

  let url = DEFAULT_URL;
  try {
    const parsed = parseCommandLine(command, rest);
    if (parsed.globals.help) {
      io.stdout(commandHelp(command));
      return EXIT.ok;
    }
    const context = commandContext(io, parsed.globals);
    url = context.url;
    // parseCommandLine read each option with its own spec's type.
    return await command.run(context, { args: parsed.args, options: parsed.options as OptionValues<OptionSpecs> });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n${shortUsage(command)}`);
      return EXIT.usage;
    }
    if (error instanceof ApiRequestError) {
      io.stderr(describeError(error));
      return EXIT.error;
    }
    if (error instanceof ApiUnreachableError) {
      io.stderr(`Error: cannot reach ${url}: ${error.message}\nHint: is the worker running there? Set --url or OUTBOUND_SYNC_URL.\n`);
      return EXIT.error;
    }
    throw error;
  }
}

function commandContext(io: Io, globals: GlobalValues): CommandContext {
  const url = globals.url ?? io.env.OUTBOUND_SYNC_URL ?? DEFAULT_URL;
  let client: ApiClient | undefined;
  const token = () => {
    const given = globals.token ?? io.env.OUTBOUND_SYNC_TOKEN;
    if (!given) {
      throw new UsageError("No API token: pass --token <token> or set OUTBOUND_SYNC_TOKEN (npm start saves a local admin token in .wrangler/admin-token.txt).");
    }
    try {
      new URL(url);
    } catch {
      throw new UsageError(`--url must be an absolute URL such as ${DEFAULT_URL} (got "${url}").`);
    }
    return given.trim();
  };
  return {
    io,
    json: globals.json ?? false,
    url,
    api() {
      client ??= createApiClient({ url, token: token() }, io.fetch);
      return client;
    },
    liveFeed(credentialId) {
      if (io.openSocket === undefined) return null;
      try {
        return io.openSocket(liveFeedUrl(url, credentialId), [LIVE_BEARER_PROTOCOL, token()]);
      } catch {
        return null; // a watch goes on polling
      }
    },
  };
}
