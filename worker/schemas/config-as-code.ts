import { z } from "@hono/zod-openapi";
import { CONFIG_KINDS } from "./config-document";
import { PRIVATE_KEY_MAX_CHARS } from "./credentials";

// Requests and answers of /api/config: export, plan and apply of a configuration document.

export const CONFIG_FORMATS = ["yaml", "json"] as const;
export type ConfigFormat = (typeof CONFIG_FORMATS)[number];

export const exportQuerySchema = z.object({
  format: z.enum(CONFIG_FORMATS).default("yaml").openapi({ description: "yaml (text/yaml) or json (application/json)." }),
});

const documentField = z
  .union([z.string().min(1).max(1_000_000), z.record(z.string(), z.unknown())])
  .openapi({ description: "The document: its text (YAML or JSON), or the JSON object itself." });
const formatField = z.enum(CONFIG_FORMATS).optional().openapi({ description: "How to read a text document; default yaml (which also reads JSON)." });

export const planBodySchema = z.strictObject({ document: documentField, format: formatField }).openapi("ConfigPlanRequest");
export type PlanBody = z.infer<typeof planBodySchema>;

export const applyBodySchema = z
  .strictObject({
    document: documentField,
    format: formatField,
    secrets: z.record(z.string().max(100), z.string().min(1).max(PRIVATE_KEY_MAX_CHARS)).optional().openapi({
      description:
        "Values of the secrets the document references, by name. Required for new entries; given for an existing one, it replaces the stored secret.",
      writeOnly: true,
    }),
    plan_id: z.string().max(200).optional().openapi({ description: "The plan shown; 409 plan_changed when the plan is no longer the same." }),
    change_note: z.string().max(500).optional().openapi({ description: "Kept with each changed connection's new version." }),
  })
  .openapi("ConfigApplyRequest");
export type ApplyBody = z.infer<typeof applyBodySchema>;

const fieldChangeSchema = z
  .object({
    path: z.string().openapi({ example: "config.limits.concurrency" }),
    before: z.unknown().openapi({ description: "null when created." }),
    after: z.unknown().openapi({ description: "null when deleted." }),
  })
  .openapi("ConfigFieldChange");
export type FieldChange = { path: string; before: unknown; after: unknown };

const changeSchema = z
  .object({
    kind: z.enum(CONFIG_KINDS),
    name: z.string(),
    credential: z.string().optional().openapi({ description: "Connections: their credential's name." }),
    renamed_from: z.string().optional().openapi({ description: "An update that renames the entry (the document's renamed_from): its name until now." }),
    action: z.enum(["create", "update", "delete"]),
    fields: z.array(fieldChangeSchema),
  })
  .openapi("ConfigChange");
export type ConfigChange = {
  kind: (typeof CONFIG_KINDS)[number];
  name: string;
  credential?: string;
  renamed_from?: string;
  action: "create" | "update" | "delete";
  fields: FieldChange[];
};

const secretSchema = z
  .object({
    name: z.string(),
    used_by: z.array(z.string()),
    required: z.boolean().openapi({ description: "Apply must be given it (a new entry, or the stored secret cannot stay)." }),
  })
  .openapi("ConfigPlanSecret");
export type PlanSecret = z.infer<typeof secretSchema>;

export const planSchema = z
  .object({
    plan_id: z.string().openapi({ description: "A hash of the plan: give it to apply to refuse if the plan changed meanwhile." }),
    summary: z.object({ create: z.number().int(), update: z.number().int(), delete: z.number().int(), unchanged: z.number().int() }),
    changes: z.array(changeSchema),
    secrets: z.array(secretSchema).openapi({ description: "The secrets the document references." }),
  })
  .openapi("ConfigPlan");
export type ConfigPlan = z.infer<typeof planSchema>;

export const applyResultSchema = planSchema
  .extend({
    generated_secrets: z
      .array(z.object({ kind: z.literal("alert_channel"), name: z.string(), secret: z.string() }))
      .openapi({ description: "Signing secrets of the webhook channels created, shown only in this answer." }),
  })
  .openapi("ConfigApplyResult");
export type ConfigApplyResult = z.infer<typeof applyResultSchema>;
