// Import direction, checked by `npm run lint` (depcruise). SQL's place is an ESLint rule (eslint.config.js):
// imports cannot show where a query is written.
const TYPE_ONLY = ["type-only"];
// Domain code: the HTTP edge (worker/api/) maps its errors and owns its routers; domain code never reaches up.
const DOMAIN = "^worker/(ledger|runs|auth|alerts|schedule|retention|stats|live)/";

// The only places production code may import worker/sandbox/ from, and what each may reach.
const SANDBOX_DOORS = [
  { from: "^worker/index\\.ts$", to: "^worker/sandbox/sandbox-fleet\\.ts$", why: "The runtime needs the SandboxFleet Durable Object class exported." },
  { from: "^worker/app\\.ts$", to: "^worker/sandbox/mount\\.ts$", why: "The /sandbox route, which answers 404 unless SANDBOX=on." },
  { from: "^worker/ledger/demo-seed\\.ts$", to: "^worker/sandbox/demo-(connections|data)\\.ts$", why: "Demo data, seeded only with DEMO_SEED=on." },
  { from: "^worker/outbound\\.ts$", to: "^worker/sandbox/outbound-fetch\\.ts$", why: "The outbound router, chosen only with SANDBOX=on." },
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-value-import-cycles",
      comment: "Modules that load each other at run time: one of them is in the wrong place. Type-only imports load nothing and may loop.",
      severity: "error",
      from: {},
      to: { circular: true, dependencyTypesNot: TYPE_ONLY, viaOnly: { dependencyTypesNot: TYPE_ONLY } },
    },
    {
      name: "engine-imports-nothing-else-of-the-worker",
      comment: "worker/engine/ is pure sync logic every layer may use; it may not depend on any of them.",
      severity: "error",
      from: { path: "^worker/engine/" },
      to: { path: "^worker/", pathNot: "^worker/engine/" },
    },
    {
      name: "engine-imports-no-platform",
      comment: "worker/engine/ runs in Node tests as it runs in the Worker: no Cloudflare modules.",
      severity: "error",
      from: { path: "^worker/engine/" },
      to: { path: "^(cloudflare:|@cloudflare/)" },
    },
    {
      name: "domain-does-not-import-the-api",
      comment: "Domain code throws domain errors and shares shapes through worker/schemas/; only the HTTP edge imports worker/api/.",
      severity: "error",
      from: { path: DOMAIN },
      to: { path: "^worker/api/" },
    },
    {
      name: "web-imports-the-worker-type-only",
      comment: "The SPA shares the worker's types, never its code: a value import would bundle worker modules into the browser.",
      severity: "error",
      from: { path: "^web/" },
      to: { path: "^worker/", dependencyTypesNot: TYPE_ONLY },
    },
    {
      name: "shared-imports-nothing",
      comment:
        "shared/ holds what the worker, the engine and the browser all load (lang helpers, token format, client header): pure, so it may import only itself.",
      severity: "error",
      from: { path: "^shared/" },
      to: { pathNot: "^shared/" },
    },
    {
      name: "production-code-imports-no-sandbox",
      comment: "worker/sandbox/ is the demo destination, live only with SANDBOX=on; production code reaches it only through the doors below.",
      severity: "error",
      from: { path: "^(worker|web)/", pathNot: ["^worker/sandbox/", ...SANDBOX_DOORS.map((door) => door.from)] },
      to: { path: "^worker/sandbox/", dependencyTypesNot: TYPE_ONLY },
    },
    ...SANDBOX_DOORS.map((door) => ({
      name: "sandbox-door-leads-only-where-listed",
      comment: door.why,
      severity: "error",
      from: { path: door.from },
      to: { path: "^worker/sandbox/", pathNot: door.to, dependencyTypesNot: TYPE_ONLY },
    })),
    {
      name: "sandbox-router-loads-only-on-demand",
      comment: "outbound.ts loads the sandbox's router with a dynamic import, so production (SANDBOX off) never loads it.",
      severity: "error",
      from: { path: "^worker/outbound\\.ts$" },
      to: { path: "^worker/sandbox/", dependencyTypesNot: ["dynamic-import", "type-only"] },
    },
    {
      name: "production-code-imports-no-tests",
      comment: "Code that ships never loads test helpers.",
      severity: "error",
      from: { path: "^(worker|web)/" },
      to: { path: "^(test|bench)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|\\.wrangler)/" },
    // Keeps `import type` visible (as type-only) instead of erased before the check.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".svelte", ".json"] },
    moduleSystems: ["es6"],
  },
};
