import { describe, expect, it } from "vitest";
import { integerOption, parseCommandLine, UsageError } from "../../cli/src/command";
import { COMMANDS } from "../../cli/src/commands/index";
import { EXIT } from "../../cli/src/exit-codes";
import { commandHelp } from "../../cli/src/help";
import { runCli } from "../../cli/src/run-cli";
import { recordedIo } from "./factories";

function command(group: string, name: string) {
  const found = COMMANDS.find((candidate) => candidate.group === group && candidate.name === name);
  if (!found) throw new Error(`no command ${group} ${name}`);
  return found;
}

const refusal = (group: string, name: string, argv: string[]) => {
  try {
    parseCommandLine(command(group, name), argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error("parsed without a refusal");
};

describe("a command line", () => {
  it("gives the command its options, repeated ones as a list, and the global ones apart, in any order", () => {
    const parsed = parseCommandLine(command("runs", "start"), [
      "--json",
      "--credential",
      "cred_1",
      "--connection=a",
      "--connection",
      "b",
      "--reset",
      "--token",
      "t",
    ]);
    expect(parsed.options).toEqual({ credential: "cred_1", connection: ["a", "b"], reset: true });
    expect(parsed.globals).toEqual({ json: true, token: "t", url: undefined, help: undefined });
  });

  it("takes the command's arguments in order", () => {
    expect(parseCommandLine(command("runs", "watch"), ["run_1", "--interval", "5"]).args).toEqual(["run_1"]);
  });

  it("is refused naming a missing required option, a value outside the choices, an unknown option or a wrong argument count", () => {
    expect(refusal("runs", "start", ["--mode", "dry"])).toBe("Missing --credential <id>.");
    expect(refusal("runs", "list", ["--status", "done"])).toBe('--status must be one of pending, running, completed, failed, canceled (got "done").');
    expect(refusal("runs", "list", ["--colour"])).toBe("Unknown option '--colour'.");
    expect(refusal("runs", "watch", [])).toBe("Missing <run-id>.");
    expect(refusal("runs", "cancel", ["run_1", "run_2"])).toBe('Unexpected argument "run_2": runs cancel takes <run-id>.');
    expect(refusal("tokens", "create", ["--role", "admin", "--name"])).toMatch(/^Option '--name <value>' argument missing/);
  });

  it("asks no required option when only help is wanted", () => {
    expect(parseCommandLine(command("runs", "start"), ["--help"]).globals.help).toBe(true);
  });

  it("reads whole numbers within bounds only", () => {
    expect(integerOption("20", "limit", 1, 200)).toBe(20);
    expect(integerOption(undefined, "limit", 1, 200)).toBeUndefined();
    for (const bad of ["0", "201", "1.5", "ten", "-3", ""])
      expect(() => integerOption(bad, "limit", 1, 200)).toThrow(/--limit must be a whole number from 1 to 200/);
  });
});

describe("help", () => {
  it("lists every option of each command with its placeholder and choices, and the global options", () => {
    for (const each of COMMANDS) {
      const help = commandHelp(each);
      expect(help).toContain(`Usage: outbound-sync ${each.group} ${each.name}`);
      for (const [name, spec] of Object.entries(each.options)) {
        expect(help).toContain(`--${name}${spec.type === "string" ? ` <${spec.value}>` : ""}`);
        if (spec.choices) expect(help).toContain(`[${spec.choices.join("|")}]`);
      }
      for (const global of ["--url <url>", "--token <token>", "--json", "-h, --help"]) expect(help).toContain(global);
    }
  });

  it("is printed with exit 0 when asked for, and on standard error with exit 2 when the command line is wrong", async () => {
    const asked = recordedIo();
    expect(await runCli(["runs", "watch", "--help"], asked)).toBe(EXIT.ok);
    expect(asked.out).toContain("Exit status: 0 completed");
    expect(asked.err).toBe("");

    const nothing = recordedIo();
    expect(await runCli([], nothing)).toBe(EXIT.usage);
    expect(nothing.err).toContain("Usage: outbound-sync <runs|jobs|connections|serials|config|tokens> <command> [options]");

    const leadingOption = recordedIo();
    expect(await runCli(["--json", "runs", "list"], leadingOption)).toBe(EXIT.usage);
    expect(leadingOption.err).toMatch(/^Unknown command "--json". Options go after the command./);

    const unknown = recordedIo();
    expect(await runCli(["runs", "stop", "run_1"], unknown)).toBe(EXIT.usage);
    expect(unknown.err).toMatch(/^Unknown command "runs stop".\n\nUsage: outbound-sync runs <command>/);
  });

  it("a command that needs the API says how to give a token when none is set, before any request", async () => {
    const io = recordedIo({ OUTBOUND_SYNC_URL: "http://127.0.0.1:9" });
    expect(await runCli(["runs", "list"], io)).toBe(EXIT.usage);
    expect(io.err).toMatch(/^No API token: pass --token <token> or set OUTBOUND_SYNC_TOKEN/);
  });
});
