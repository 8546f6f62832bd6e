// Stopgap: worker/api/schemas/retention.ts takes its status lists from ledger modules that also name D1's
// types, and the web's type check (DOM, no global workers-types) follows the import. The module form of
// workers-types gives those names without its globals. Delete this file once the schema imports its lists
// from a D1-free module.
type D1Database = import("@cloudflare/workers-types/index").D1Database;
type D1PreparedStatement = import("@cloudflare/workers-types/index").D1PreparedStatement;
