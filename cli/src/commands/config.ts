import { answer, type Schemas } from "../api-client";
import { defineCommand, UsageError, type CommandContext } from "../command";
import { EXIT } from "../exit-codes";
import { cellValue } from "../table";

type ConfigFormat = Schemas["ConfigPlanRequest"]["format"] & string;
type ConfigPlan = Schemas["ConfigPlan"] & Partial<Pick<Schemas["ConfigApplyResult"], "generated_secrets">>;

const FORMATS = ["yaml", "json"] as const satisfies readonly ConfigFormat[];
const FORMAT_OPTION = {
  type: "string",
  value: "format",
  choices: FORMATS,
  description: "yaml or json (default: from the file's extension, else yaml)",
} as const;
const DOCUMENT_ARG = { name: "file", description: "The configuration document (YAML or JSON); - reads standard input" };

function formatOf(file: string, given: string | undefined): ConfigFormat {
  if (given !== undefined) return given as ConfigFormat;
  return file.toLowerCase().endsWith(".json") ? "json" : "yaml";
}

const SIGN = { create: "+", update: "~", delete: "-" } as const;

export function planText(plan: ConfigPlan, verb: "would" | "applied"): string {
  const { create, update, delete: remove, unchanged } = plan.summary;
  const lines = [
    verb === "would"
      ? `Plan ${plan.plan_id}: ${create} to create, ${update} to update, ${remove} to delete, ${unchanged} unchanged.`
      : `Applied plan ${plan.plan_id}: ${create} created, ${update} updated, ${remove} deleted, ${unchanged} unchanged.`,
  ];
  for (const change of plan.changes) {
    const credential = change.credential === undefined ? "" : ` (credential "${change.credential}")`;
    const renamed = change.renamed_from === undefined ? "" : `, renamed from "${change.renamed_from}"`;
    lines.push(`${SIGN[change.action]} ${change.kind.replace("_", " ")} "${change.name}"${credential}${renamed}`);
    for (const field of change.fields) lines.push(`    ${field.path}: ${cellValue(field.before ?? null)} → ${cellValue(field.after ?? null)}`);
  }
  const needed = plan.secrets.filter((secret) => secret.required);
  if (verb === "would" && needed.length > 0) {
    lines.push(`Apply needs: ${needed.map((secret) => `--secret ${secret.name} (${secret.used_by.join(", ")})`).join(", ")}`);
  }
  // Signing secrets of new webhook channels exist only in this answer.
  for (const generated of plan.generated_secrets ?? []) {
    lines.push(`New ${generated.kind.replace("_", " ")} "${generated.name}" signing secret (shown only now): ${generated.secret}`);
  }
  return lines.join("\n") + "\n";
}

const exportCommand = defineCommand({
  group: "config",
  name: "export",
  summary: "Print the configuration as one document (secrets as references)",
  args: [],
  options: { format: { ...FORMAT_OPTION, description: "yaml (default) or json; --json means json" } },
  examples: ["outbound-sync config export > outbound-sync.yaml"],
  async run(context, { options }) {
    const format = (options.format ?? (context.json ? "json" : "yaml")) as ConfigFormat;
    const text = await answer(context.api().GET("/api/config/export", { params: { query: { format } }, parseAs: "text" }));
    context.io.stdout(text.endsWith("\n") ? text : text + "\n");
    return EXIT.ok;
  },
});

const plan = defineCommand({
  group: "config",
  name: "plan",
  summary: "Show what applying a document would create, change and delete, field by field",
  description: `With --exit-code, a plan that would change anything exits ${EXIT.planHasChanges}: a scheduled CI job then notices a configuration changed outside the document.`,
  args: [DOCUMENT_ARG],
  options: {
    format: FORMAT_OPTION,
    "exit-code": { type: "boolean", description: `Exit ${EXIT.planHasChanges} when applying the document would change something (0 when nothing)` },
  },
  examples: ["outbound-sync config plan outbound-sync.yaml", "outbound-sync config plan outbound-sync.yaml --exit-code"],
  async run(context, { args, options }) {
    const file = args[0]!;
    const document = await context.io.readText(file);
    const result = await answer(context.api().POST("/api/config/plan", { body: { document, format: formatOf(file, options.format) } }));
    context.io.stdout(context.json ? JSON.stringify(result, null, 2) + "\n" : planText(result, "would"));
    return options["exit-code"] && result.changes.length > 0 ? EXIT.planHasChanges : EXIT.ok;
  },
});

// NAME=value, NAME alone for the value of the environment variable NAME (keeps secrets out of shell history), or
// NAME=@path for a file's whole text (a service account's private key or Google key file).
async function secretsOf(context: CommandContext, given: readonly string[]): Promise<Record<string, string>> {
  const secrets: Record<string, string> = {};
  for (const entry of given) {
    const at = entry.indexOf("=");
    const name = at < 0 ? entry : entry.slice(0, at);
    if (!name) throw new UsageError(`--secret needs NAME=value, NAME=@file or NAME (got "${entry}").`);
    const given = at < 0 ? context.io.env[name] : entry.slice(at + 1);
    if (given === undefined) throw new UsageError(`--secret ${name}: the environment variable ${name} is not set.`);
    secrets[name] = given.startsWith("@") ? await secretFile(context, name, given.slice(1)) : given;
  }
  return secrets;
}

async function secretFile(context: CommandContext, name: string, path: string): Promise<string> {
  if (path === "") throw new UsageError(`--secret ${name}=@ needs a file name after the @.`);
  try {
    return await context.io.readText(path);
  } catch (error) {
    throw new UsageError(`--secret ${name}: cannot read ${path} (${error instanceof Error ? error.message : String(error)}).`);
  }
}

const apply = defineCommand({
  group: "config",
  name: "apply",
  summary: "Apply a document: plan it again and change everything it lists in one batch",
  description:
    "Secrets the document references by name are given with --secret. With --plan-id, nothing changes when the plan differs from the one shown by `config plan` (exit 1, plan_changed).",
  args: [DOCUMENT_ARG],
  options: {
    format: FORMAT_OPTION,
    secret: {
      type: "string",
      value: "NAME[=value|=@file]",
      multiple: true,
      description: "A referenced secret; NAME alone reads the environment variable NAME, NAME=@file a file (a private key)",
    },
    "plan-id": { type: "string", value: "id", description: "Apply only if the plan is still this one" },
    "change-note": { type: "string", value: "text", description: "Recorded with each changed connection's new version" },
  },
  examples: ["DEMO_TOKEN=… outbound-sync config apply outbound-sync.yaml --secret DEMO_TOKEN --plan-id plan_… --change-note 'PR #42'"],
  async run(context, { args, options }) {
    const file = args[0]!;
    const secrets = await secretsOf(context, options.secret ?? []);
    const document = await context.io.readText(file);
    const result = await answer(
      context.api().POST("/api/config/apply", {
        body: {
          document,
          format: formatOf(file, options.format),
          ...(Object.keys(secrets).length === 0 ? {} : { secrets }),
          ...(options["plan-id"] === undefined ? {} : { plan_id: options["plan-id"] }),
          ...(options["change-note"] === undefined ? {} : { change_note: options["change-note"] }),
        },
      }),
    );
    context.io.stdout(context.json ? JSON.stringify(result, null, 2) + "\n" : planText(result, "applied"));
    return EXIT.ok;
  },
});

export const CONFIG_COMMANDS = [exportCommand, plan, apply];
