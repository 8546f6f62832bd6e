import { z } from "@hono/zod-openapi";
import type { ChannelKind } from "../alerts/vocabulary";
import { createChannelBodySchema, createRuleBodySchema } from "./alerts";
import { createConnectionBodySchema } from "./connections";
import { createCredentialBodySchema, SCHEMES_WITH_SECRET } from "./credentials";
import { nameSchema } from "./common";

// The configuration-as-code document: credentials, connections, alert channels and rules keyed by name (ids differ
// between environments). Each entry is the API's own create body with ids replaced by names and each secret by a
// reference `{ secret: NAME }`, its value supplied at apply. A section left out is not managed: what it would hold
// stays as it is; a section given is the whole truth for its kind (what it does not list is deleted).

export const CONFIG_DOCUMENT_VERSION = 1;
export const CONFIG_KINDS = ["credential", "connection", "alert_channel", "alert_rule"] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,99}$/;
export const secretRefSchema = z
  .strictObject({
    secret: z.string().regex(SECRET_NAME, "a secret name is upper case letters, digits and _, starting with a letter, e.g. FLEET_API_TOKEN"),
  })
  .openapi("ConfigSecretRef", { description: "A secret by name; its value is given in `secrets` at apply and never exported." });
export type SecretRef = z.infer<typeof secretRefSchema>;

const nameRef = nameSchema(200);
export const connectionRefSchema = z
  .strictObject({ credential: nameRef, name: nameRef })
  .openapi("ConfigConnectionRef", { description: "A connection by its credential's name and its own (names are unique per credential)." });
export type ConnectionRef = z.infer<typeof connectionRefSchema>;
// [] is what a scope becomes once every connection it named is deleted: the export writes it, so plan must take it.
const connectionRefsSchema = z
  .array(connectionRefSchema)
  .max(500)
  .nullable()
  .openapi({ description: "null: every connection. []: none (every connection it named has been deleted); it hears of no connection." });

// An entry's previous name: renaming keeps the row (its id, history, runs, secret and what refers to it) where a
// new name alone would be a delete and a create. Read only while no entry has the new name yet, so it can stay.
const renamedFromSchema = nameRef.optional().openapi({
  description:
    "The entry's previous name (a connection's: among its credential's connections, by the credential's name in this document). While no entry has the new name yet, the entry with this name is renamed (its id, history, secret and references kept) instead of deleted and created again; after that it is ignored. Never exported.",
});
const renamable = (entry: z.ZodObject) => entry.extend({ renamed_from: renamedFromSchema });

// The API's create bodies per scheme and kind, with the secret fields taking a reference instead of the value. A
// refresh token is left out: the provider may replace it at each use, so it is state the ledger keeps, not
// configuration (Connect or the API gives it).
const credentialEntrySchema = z.discriminatedUnion(
  "scheme",
  createCredentialBodySchema.options.map((option) => {
    const entry = "refresh_token" in option.shape ? (option as z.ZodObject).omit({ refresh_token: true }) : (option as z.ZodObject);
    return renamable(SCHEMES_WITH_SECRET[option.shape.scheme.value] ? entry.extend({ secret: secretRefSchema }) : entry);
  }) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

const connectionEntrySchema = createConnectionBodySchema.omit({ credential_id: true, change_note: true }).extend({
  credential: nameRef.openapi({ description: "The credential's name." }),
  position: z.number().int().min(1).max(1000).optional().openapi({
    description: "Execution order within the credential (1..n over the document's connections of that credential); left out everywhere: document order.",
  }),
  renamed_from: renamedFromSchema,
});

// Per kind, how its create body becomes a document entry: connection ids become references, secrets references.
const CHANNEL_ENTRY: Record<ChannelKind, (body: z.ZodObject) => z.ZodObject> = {
  webhook: (body) => body.omit({ connection_ids: true }).extend({ connections: connectionRefsSchema.optional() }),
  slack: (body) => body.extend({ webhook_url: secretRefSchema }),
  pagerduty: (body) => body.extend({ routing_key: secretRefSchema }),
  email: (body) => body,
};

const channelEntrySchema = z.discriminatedUnion(
  "kind",
  createChannelBodySchema.options.map((option) => renamable(CHANNEL_ENTRY[option.shape.kind.value](option as z.ZodObject))) as unknown as [
    z.ZodObject,
    ...z.ZodObject[],
  ],
);

const ruleEntrySchema = createRuleBodySchema.omit({ channel_id: true, connection_ids: true }).extend({
  name: nameRef.openapi({ description: "The rule's name in the document (rules made in the dashboard export as `<channel> / <condition>`)." }),
  channel: nameRef.openapi({ description: "The alert channel's name." }),
  connections: connectionRefsSchema.default(null),
  renamed_from: renamedFromSchema,
});

export const configDocumentSchema = z
  .strictObject({
    version: z.literal(CONFIG_DOCUMENT_VERSION).openapi({ description: "The document format's version." }),
    credentials: z.array(credentialEntrySchema).max(1000).optional(),
    connections: z.array(connectionEntrySchema).max(5000).optional(),
    alert_channels: z.array(channelEntrySchema).max(1000).optional(),
    alert_rules: z.array(ruleEntrySchema).max(5000).optional(),
  })
  .openapi("ConfigDocument", {
    description:
      "Everything keyed by name. A section left out is not managed (left as it is); a section given lists every entry of its kind, and what it leaves out is deleted.",
  });
export type ConfigDocument = z.output<typeof configDocumentSchema>;

// The entry types spelled out, since the mapped unions above are typed loosely for zod.
export type CredentialEntry = { name: string; scheme: string; config?: Record<string, unknown>; secret?: SecretRef; renamed_from?: string };
export type ConnectionEntry = z.output<typeof connectionEntrySchema>;
export type ChannelEntry = {
  name: string;
  kind: "webhook" | "slack" | "pagerduty" | "email";
  enabled?: boolean;
  test_schedule?: string | null;
  connections?: ConnectionRef[] | null;
  renamed_from?: string;
} & Record<string, unknown>;
export type RuleEntry = z.output<typeof ruleEntrySchema>;
