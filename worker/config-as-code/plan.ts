import type { FieldIssue } from "../domain-errors";
import { ruleParamsIssues } from "../alerts/rule-params";
import type { ConfigKind } from "../schemas/config-document";
import type { ConfigChange, ConfigPlan, FieldChange, PlanSecret } from "../schemas/config-as-code";
import { SCHEMES_WITH_SECRET } from "../schemas/credentials";
import {
  connectionKey,
  type ChannelCanon,
  type ConnectionCanon,
  type CredentialCanon,
  type DesiredConfig,
  type RuleCanon,
  type Stored,
  type StoredConfig,
} from "./entries";
import { resolveRenames } from "./renames";

// The plan: what applying a document would create, change (field by field) and delete, and which secrets it
// needs. Pure: the stored entries and the document's come in, the plan and the steps apply follows come out.

export interface Step<E> {
  action: "create" | "update" | "delete" | "unchanged";
  desired: E | null;
  stored: Stored<E> | null;
  fields: FieldChange[];
  // The stored entry's name when the document renames it (renamed_from).
  renamedFrom?: string;
}

export interface PlanSteps {
  credentials: Array<Step<CredentialCanon>>;
  connections: Array<Step<ConnectionCanon>>;
  channels: Array<Step<ChannelCanon>>;
  rules: Array<Step<RuleCanon>>;
}

export interface PlanResult {
  plan: Omit<ConfigPlan, "plan_id">;
  steps: PlanSteps;
  issues: FieldIssue[];
}

export function planConfig(desired: DesiredConfig, storedAsIs: StoredConfig): PlanResult {
  const { stored, renames, issues } = resolveRenames(desired, storedAsIs);
  issues.push(...referenceIssues(desired, stored));
  const steps: PlanSteps = {
    credentials: diffSection(desired.credentials, stored.credentials, (e) => e.name, renames.credentials),
    connections: diffSection(desired.connections, stored.connections, connectionKey, renames.connections),
    channels: diffSection(desired.channels, stored.channels, (e) => e.name, renames.channels),
    rules: diffSection(desired.rules, stored.rules, (e) => e.name, renames.rules),
  };
  for (const step of steps.channels) {
    if (step.action === "update" && step.fields.some((field) => field.path === "kind")) {
      issues.push(issue(`alert_channels[${indexIn(desired.channels, step.desired)}].kind`, "a channel's kind cannot change: give the new one another name"));
    }
  }
  const changes: ConfigChange[] = [
    ...toChanges("credential", steps.credentials, () => ({})),
    ...toChanges("connection", steps.connections, (e) => ({ credential: e.credential })),
    ...toChanges("alert_channel", steps.channels, () => ({})),
    ...toChanges("alert_rule", steps.rules, () => ({})),
  ];
  const all = [...steps.credentials, ...steps.connections, ...steps.channels, ...steps.rules];
  const count = (action: Step<unknown>["action"]) => all.filter((step) => step.action === action).length;
  return {
    plan: {
      summary: { create: count("create"), update: count("update"), delete: count("delete"), unchanged: count("unchanged") },
      changes,
      secrets: secretsOf(desired, steps),
    },
    steps,
    issues,
  };
}

// Stored entries are matched by key, a renamed one by the key it is renamed to.
function diffSection<E extends { name: string }>(
  desired: E[] | null,
  stored: Array<Stored<E>>,
  key: (entry: E) => string,
  renames: Map<string, string>,
): Array<Step<E>> {
  if (desired === null) return [];
  const matchKey = (entry: Stored<E>) => renames.get(key(entry.entry)) ?? key(entry.entry);
  const byKey = new Map(stored.map((entry) => [matchKey(entry), entry]));
  const seen = new Set<string>();
  const steps: Array<Step<E>> = desired.map((entry) => {
    seen.add(key(entry));
    const match = byKey.get(key(entry)) ?? null;
    if (match === null) return { action: "create", desired: entry, stored: null, fields: createdFields(entry) };
    const fields = diffValues("", match.entry, entry);
    const renamed = renames.has(key(match.entry)) ? { renamedFrom: match.entry.name } : {};
    return { action: fields.length === 0 ? "unchanged" : "update", desired: entry, stored: match, fields, ...renamed };
  });
  for (const entry of stored) {
    if (!seen.has(matchKey(entry))) steps.push({ action: "delete", desired: null, stored: entry, fields: deletedFields(entry.entry) });
  }
  return steps;
}

const createdFields = (entry: object): FieldChange[] => Object.entries(entry).map(([path, after]) => ({ path, before: null, after: after ?? null }));
const deletedFields = (entry: object): FieldChange[] => Object.entries(entry).map(([path, before]) => ({ path, before: before ?? null, after: null }));

// Leaf by leaf: objects by key, arrays by index; a value that changes kind is one field.
export function diffValues(path: string, before: unknown, after: unknown): FieldChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => diffValues(path === "" ? key : `${path}.${key}`, before[key], after[key]));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    return Array.from({ length: Math.max(before.length, after.length) }, (_, i) => diffValues(`${path}[${i}]`, before[i], after[i])).flat();
  }
  if ((before ?? null) === (after ?? null)) return [];
  return [{ path, before: before ?? null, after: after ?? null }];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function toChanges<E>(kind: ConfigKind, steps: Array<Step<E>>, extra: (entry: E) => Partial<ConfigChange>): ConfigChange[] {
  return steps.flatMap((step): ConfigChange[] => {
    if (step.action === "unchanged") return [];
    const entry = (step.desired ?? step.stored?.entry) as E & { name: string };
    const renamed = step.renamedFrom === undefined ? {} : { renamed_from: step.renamedFrom };
    return [{ kind, name: entry.name, ...extra(entry), ...renamed, action: step.action, fields: step.fields }];
  });
}

// Which secrets the document references and whether apply must be given them: a new entry, a credential switching
// to a scheme with a secret or without a stored one, an OAuth2 token URL moving host (the secret would follow it).
function secretsOf(desired: DesiredConfig, steps: PlanSteps): PlanSecret[] {
  const bySecret = new Map<string, PlanSecret>();
  for (const ref of desired.secretRefs) {
    const step =
      ref.kind === "credential" ? steps.credentials.find((s) => s.desired?.name === ref.name) : steps.channels.find((s) => s.desired?.name === ref.name);
    const required = step?.stored === null || step?.stored === undefined || !step.stored.hasSecret || secretMustFollow(step as Step<object>);
    const use = `${ref.kind === "credential" ? "credential" : "alert channel"} "${ref.name}"`;
    const known = bySecret.get(ref.secret);
    if (known) {
      known.used_by.push(use);
      known.required ||= required;
    } else bySecret.set(ref.secret, { name: ref.secret, used_by: [use], required });
  }
  return [...bySecret.values()];
}

function secretMustFollow(step: Step<object>): boolean {
  return step.fields.some(
    (field) =>
      field.path === "scheme" ||
      field.path === "config.token_url" ||
      field.path === "config.sts_url" ||
      field.path === "kind" ||
      // A private key must be given again to sign with another algorithm, and a client switching between a secret
      // and a key (private_key_jwt) needs the new kind of secret.
      field.path === "config.algorithm" ||
      (field.path === "config.client_auth" && (field.before === "private_key_jwt" || field.after === "private_key_jwt")),
  );
}

// What the schema cannot check: names unique, references resolvable, positions dense, deletions possible.
function referenceIssues(desired: DesiredConfig, stored: StoredConfig): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const credentialNames = new Set((desired.credentials ?? stored.credentials.map((s) => s.entry)).map((e) => e.name));
  const connections = desired.connections ?? stored.connections.map((s) => s.entry);
  const connectionKeys = new Set(connections.map(connectionKey));
  const channelNames = new Set((desired.channels ?? stored.channels.map((s) => s.entry)).map((e) => e.name));

  duplicates(desired.credentials, (e) => e.name, "credentials", issues);
  duplicates(desired.connections, connectionKey, "connections", issues);
  duplicates(desired.channels, (e) => e.name, "alert_channels", issues);
  duplicates(desired.rules, (e) => e.name, "alert_rules", issues);

  desired.credentials?.forEach((entry, i) => {
    if (!SCHEMES_WITH_SECRET[entry.scheme]) return;
    if (!desired.secretRefs.some((ref) => ref.kind === "credential" && ref.name === entry.name)) {
      issues.push(issue(`credentials[${i}].secret`, `scheme ${entry.scheme} needs a secret reference, e.g. { secret: NAME }`));
    }
  });
  desired.connections?.forEach((entry, i) => {
    if (!credentialNames.has(entry.credential)) issues.push(issue(`connections[${i}].credential`, `no credential named "${entry.credential}"`));
  });
  if (desired.connections !== null) positionIssues(desired.connections, issues);
  // Connections left unmanaged keep their credential.
  if (desired.connections === null && desired.credentials !== null) {
    for (const connection of stored.connections) {
      if (!credentialNames.has(connection.entry.credential)) {
        issues.push(
          issue(
            "credentials",
            `"${connection.entry.credential}" is used by the connection "${connection.entry.name}": list the connections too, or keep the credential`,
          ),
        );
      }
    }
  }
  // Rules left unmanaged keep their channel: deleting it would delete them too, which the plan would not show.
  if (desired.rules === null && desired.channels !== null) {
    for (const rule of stored.rules) {
      if (!channelNames.has(rule.entry.channel)) {
        issues.push(
          issue("alert_channels", `"${rule.entry.channel}" is used by the alert rule "${rule.entry.name}": list the alert rules too, or keep the channel`),
        );
      }
    }
  }
  const checkRefs = (refs: Array<{ credential: string; name: string }> | null | undefined, path: string) =>
    refs?.forEach((ref, j) => {
      if (!connectionKeys.has(connectionKey(ref))) issues.push(issue(`${path}[${j}]`, `no connection "${ref.name}" of credential "${ref.credential}"`));
    });
  desired.channels?.forEach((entry, i) => checkRefs(entry.connections as RuleCanon["connections"], `alert_channels[${i}].connections`));
  desired.rules?.forEach((entry, i) => {
    if (!channelNames.has(entry.channel)) issues.push(issue(`alert_rules[${i}].channel`, `no alert channel named "${entry.channel}"`));
    checkRefs(entry.connections, `alert_rules[${i}].connections`);
    for (const found of ruleParamsIssues(entry.condition, entry.params)) issues.push({ ...found, path: `alert_rules[${i}].${found.path}` });
  });
  return issues;
}

function positionIssues(connections: ConnectionCanon[], issues: FieldIssue[]): void {
  const byCredential = new Map<string, number[]>();
  connections.forEach((entry, i) => byCredential.set(entry.credential, [...(byCredential.get(entry.credential) ?? []), i]));
  for (const [credential, indexes] of byCredential) {
    const positions = indexes.map((i) => connections[i]!.position);
    const expected = indexes.map((_, n) => n + 1);
    if ([...positions].sort((a, b) => a - b).join() !== expected.join()) {
      issues.push(issue(`connections[${indexes[0]}].position`, `the positions of "${credential}"'s connections must be 1 to ${indexes.length}, each once`));
    }
  }
}

function duplicates<E>(entries: E[] | null, key: (entry: E) => string, section: string, issues: FieldIssue[]): void {
  const seen = new Set<string>();
  entries?.forEach((entry, i) => {
    if (seen.has(key(entry))) issues.push(issue(`${section}[${i}].name`, "is listed twice"));
    seen.add(key(entry));
  });
}

function indexIn<E>(entries: E[] | null, entry: E | null): number {
  return entries?.indexOf(entry as E) ?? -1;
}

function issue(path: string, message: string): FieldIssue {
  return { path, message, in: "body" };
}
