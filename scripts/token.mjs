// npm run token -- <viewer|operator|admin> [name] [--remote]
// Creates an API token in the local D1 (or, with --remote, the deployed one) and prints it once.
// The token alone goes to stdout, so `TOKEN=$(npm run -s token -- viewer)` works.
import { createApiToken, ROLES, validateTokenRequest } from "./local-api-tokens.mjs";

const args = process.argv.slice(2);
const remote = args.includes("--remote");
const [role, ...nameParts] = args.filter((a) => a !== "--remote");
const name = nameParts.join(" ") || `${role}-cli-${new Date().toISOString().slice(0, 10)}`;

const problem = validateTokenRequest(role, name);
if (problem) {
  console.error(`usage: npm run token -- <${ROLES.join("|")}> [name] [--remote]\n${problem}`);
  process.exit(2);
}

try {
  const created = createApiToken({ role, name, createdBy: remote ? "cli (remote)" : "cli" }, { remote });
  console.error(`Created ${created.role} token "${created.name}" (${created.id}) in the ${remote ? "deployed" : "local"} database.`);
  console.error("It is shown only now; only its SHA-256 hash is stored:");
  console.log(created.token);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  if (!remote) console.error("Is the local database migrated? Run `npm start` once, or `npx wrangler d1 migrations apply LEDGER --local`.");
  process.exit(1);
}
