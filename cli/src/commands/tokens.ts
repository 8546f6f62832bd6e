import { answer } from "../api-client";
import { defineCommand, integerOption } from "../command";
import { EXIT } from "../exit-codes";
import { ROLES } from "../words";

const create = defineCommand({
  group: "tokens",
  name: "create",
  summary: "Create an API token (admin); it is shown only now",
  description: "Prints the token alone on standard output (what it is on standard error), so TOKEN=$(outbound-sync tokens create …) works.",
  args: [],
  options: {
    role: { type: "string", value: "role", choices: ROLES, required: true, description: "viewer reads; operator also runs and cancels; admin also configures" },
    name: { type: "string", value: "name", required: true, description: "What the token is for, e.g. ci-nightly" },
    "expires-in-days": { type: "string", value: "days", description: "Stops working after this many days (1-365; default never)" },
    "expires-at": { type: "string", value: "time", description: "Stops working at this time (ISO 8601, at most 365 days ahead)" },
  },
  examples: ["outbound-sync tokens create --role operator --name ci-nightly --expires-in-days 90"],
  async run(context, { options }) {
    const days = integerOption(options["expires-in-days"], "expires-in-days", 1, 365);
    const created = await answer(
      context.api().POST("/api/tokens", {
        body: {
          role: options.role as (typeof ROLES)[number],
          name: options.name!,
          ...(days === undefined ? {} : { expires_in_days: days }),
          ...(options["expires-at"] === undefined ? {} : { expires_at: options["expires-at"] }),
        },
      }),
    );
    if (context.json) {
      context.io.stdout(JSON.stringify(created, null, 2) + "\n");
      return EXIT.ok;
    }
    const expiry = created.expires_at === null ? "never expires" : `expires ${created.expires_at}`;
    context.io.stderr(`Created ${created.role} token "${created.name}" (${created.id}, ${expiry}). It is shown only now:\n`);
    context.io.stdout(created.token + "\n");
    return EXIT.ok;
  },
});

export const TOKEN_COMMANDS = [create];
