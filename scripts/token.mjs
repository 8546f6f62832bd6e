// npm run token -- <viewer|operator|admin> [name] [--expires-in-days N] [--remote]
// Creates an API token in the local D1 (or, with --remote, the deployed one) and prints it once.
// The token alone goes to stdout, so `TOKEN=$(npm run -s token -- viewer)` works.
import { createApiToken, ROLES, validateTokenRequest } from "./local-api-tokens.mjs";

const args = process.argv.slice(2);
const remote = args.includes("--remote");
const daysAt = args.indexOf("--expires-in-days");
const expiresInDays = daysAt >= 0 ? Number(args[daysAt + 1]) : undefined;
const [role, ...nameParts] = args.filter((a, i) => a !== "--remote" && (daysAt < 0 || (i !== daysAt && i !== daysAt + 1)));
const name = nameParts.join(" ") || `${role}-cli-${new Date().toISOString().slice(0, 10)}`;

const problem = validateTokenRequest(role, name, expiresInDays);
if (problem) {
  console.error(`usage: npm run token -- <${ROLES.join("|")}> [name] [--expires-in-days N] [--remote]\n${problem}`);
  process.exit(2);
}

try {
  const created = createApiToken({ role, name, createdBy: remote ? "cli (remote)" : "cli", expiresInDays }, { remote });
  const expiry = created.expiresAt === null ? "never expires" : `expires on ${new Date(created.expiresAt).toISOString()}`;
  console.error(`Created ${created.role} token "${created.name}" (${created.id}, ${expiry}) in the ${remote ? "deployed" : "local"} database.`);
  console.error("It is shown only now; only its SHA-256 hash is stored:");
  console.log(created.token);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  if (!remote) console.error("Is the local database migrated? Run `npm start` once, or `npx wrangler d1 migrations apply LEDGER --local`.");
  process.exit(1);
}
