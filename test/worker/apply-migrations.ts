import { applyD1Migrations, env } from "cloudflare:test";

// Runs before each test file; applying is idempotent, so files share one schema.
await applyD1Migrations(env.LEDGER, env.TEST_MIGRATIONS);
