import type { Command } from "../command";
import { CONFIG_COMMANDS } from "./config";
import { CONNECTION_COMMANDS } from "./connections";
import { JOB_COMMANDS } from "./jobs";
import { RUN_COMMANDS } from "./runs";
import { SERIAL_COMMANDS } from "./serials";
import { TOKEN_COMMANDS } from "./tokens";

export const COMMANDS: readonly Command[] = [
  ...RUN_COMMANDS,
  ...JOB_COMMANDS,
  ...CONNECTION_COMMANDS,
  ...SERIAL_COMMANDS,
  ...CONFIG_COMMANDS,
  ...TOKEN_COMMANDS,
];

export const GROUPS: readonly string[] = [...new Set(COMMANDS.map((command) => command.group))];
