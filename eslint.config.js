// ESLint: the recommended sets (JavaScript, typescript-eslint without type information, Svelte) plus the
// project's own rules below. Import direction is dependency-cruiser's job (.dependency-cruiser.cjs).
import js from "@eslint/js";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import tseslint from "typescript-eslint";
import svelteConfig from "./svelte.config.js";

// Focused tests left in a commit skip every other test; the runners refuse them too (allowOnly, forbidOnly).
const NO_ONLY = [
  {
    selector: "MemberExpression[property.name='only'][object.name=/^(describe|it|test|suite|bench)$/]",
    message: "Remove .only: it skips every other test in the run.",
  },
  {
    selector: "MemberExpression[property.name='only'][object.type='MemberExpression'][object.object.name='test'][object.property.name='describe']",
    message: "Remove .only: it skips every other test in the run.",
  },
];

// SQL text, and the D1 methods that run it, belong in worker/ledger/. D1-only methods are caught by name;
// SQL is caught by its text (an upper-case statement keyword opening a string), whatever runs it.
const SQL_TEXT = "^\\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|WITH)\\s";
const D1_CALLS = [
  {
    selector: "CallExpression[callee.property.name=/^(prepare|batch|dump|withSession)$/][arguments.length>0]",
    message: "D1 is reached only through worker/ledger/: call a ledger function instead.",
  },
  {
    selector: "CallExpression[callee.property.name='exec'][callee.object.property.name='LEDGER']",
    message: "D1 is reached only through worker/ledger/: call a ledger function instead.",
  },
];
const SQL_LITERALS = [
  {
    selector: `Literal[value=/${SQL_TEXT}/]`,
    message: "SQL lives in worker/ledger/ (or in a Durable Object's own storage module): move this query there.",
  },
  {
    selector: `TemplateLiteral > TemplateElement:first-child[value.raw=/${SQL_TEXT}/]`,
    message: "SQL lives in worker/ledger/ (or in a Durable Object's own storage module): move this query there.",
  },
];
// A Durable Object's SQLite (ctx.storage.sql) is that object's private storage, not the D1 ledger: its SQL
// stays in the one storage module of each object that has it.
const DURABLE_OBJECT_STORAGE = [
  "worker/live/hub-store.ts",
  "worker/runs/coordinator-store.ts",
  "worker/runs/sqlite-serial-index.ts",
  "worker/sandbox/fleet-store.ts",
];

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "dist/",
      ".wrangler/",
      "reports/",
      "test-results/",
      "playwright-report/",
      "bench/results/",
      "test/scripts/lint-fixtures/",
      "worker/worker-configuration.d.ts",
      "cli/generated/",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Bugs the recommended sets leave out.
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-restricted-syntax": ["error", ...NO_ONLY],
      "no-self-compare": "error",
      "no-template-curly-in-string": "error",
      "no-unreachable-loop": "error",
      "no-constructor-return": "error",
      "no-empty": ["error", { allowEmptyCatch: false }],
      "array-callback-return": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // Character-range regexes are written on purpose here (control-character escapes, XML name classes).
      "no-control-regex": "off",
      "no-misleading-character-class": "off",
      // Flags every local Map, Set or URL in a rune module; the stores here make reactive cells explicitly.
      "svelte/prefer-svelte-reactivity": "off",
    },
  },
  {
    // Tests and benchmarks walk untyped JSON documents; Playwright fixtures must destructure their first argument.
    files: ["test/**", "bench/**"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "no-empty-pattern": ["error", { allowObjectPatternsAsParameters: true }],
    },
  },
  {
    files: ["web/**/*.{js,ts,svelte}"],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ["worker/**/*.ts"],
    languageOptions: { globals: { ...globals.serviceworker } },
    // The worker's output is JSON lines with ids and levels (worker/observability/log.ts), redacted there.
    rules: { "no-console": "error" },
  },
  {
    files: ["worker/observability/log.ts"],
    rules: { "no-console": "off" },
  },
  {
    files: ["worker/**/*.ts", "web/src/**/*.{ts,svelte}"],
    ignores: ["worker/ledger/**"],
    rules: { "no-restricted-syntax": ["error", ...NO_ONLY, ...D1_CALLS, ...SQL_LITERALS] },
  },
  {
    files: DURABLE_OBJECT_STORAGE,
    rules: { "no-restricted-syntax": ["error", ...NO_ONLY, ...D1_CALLS] },
  },
  {
    files: ["**/*.svelte", "**/*.svelte.ts"],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: [".svelte"], svelteConfig },
    },
    rules: {
      // A SvelteKit rule ($app/paths); this SPA has its own router.
      "svelte/no-navigation-without-resolve": "off",
      // An escape such as \n only works inside a mustache; without one the mustache is noise.
      "svelte/no-useless-mustaches": ["error", { ignoreStringEscape: true }],
    },
  },
);
