// Every workerd test builds its rows, tokens and runs here. alert-payloads.ts is left out: it is plain
// data for the Node tests of worker/alerts, which cannot load this index (it imports cloudflare:test).
export * from "./auth";
export * from "./ledger";
export * from "./retention";
export * from "./runs";
export * from "./archive";
export * from "./migrations";
