import { wakeSender } from "../alerts/alert-queue";
import { generatesSecret, secretFieldOf } from "../alerts/channel-kinds";
import { generateWebhookSecret } from "../alerts/signing";
import { encryptSecret, SECRET_BINDINGS, secretHint } from "../auth/secrets";
import { credentialSecretIssue, oneLineSecretIssue, sealCredentialSecret } from "../auth/credential-secrets";
import { ConflictError, invalidInput, type FieldIssue } from "../domain-errors";
import type { Env } from "../env";
import { deleteAlertChannelStatements, insertAlertChannelStatement, updateAlertChannelStatement } from "../ledger/alerts-channels";
import { deleteAlertRuleStatements, insertAlertRuleStatement, updateAlertRuleStatement } from "../ledger/alerts-rules";
import { isStateMoved, runConfigBatch, stampGuardStatement } from "../ledger/config-state";
import {
  connectionOrderStatements,
  deleteConnectionStatements,
  insertConnectionStatements,
  updateConnectionStatements,
  type ConnectionChange,
} from "../ledger/connections";
import { deleteCredentialStatement, insertCredentialStatement, updateCredentialStatement } from "../ledger/credentials";
import { newId } from "../ledger/ids";
import { isUniqueViolation } from "../ledger/unique-violation";
import { nextFireAfter } from "../schedule/next-fire";
import type { ConfigApplyResult } from "../schemas/config-as-code";
import { SCHEMES_WITH_SECRET, type CredentialConfig } from "../schemas/credentials";
import type { ChannelConfig } from "../alerts/channel-config";
import { connectionKey, type ChannelCanon, type DesiredConfig, type RuleCanon } from "./entries";
import type { PlanSteps, Step } from "./plan";

// Apply: the plan's steps as ledger statements, run in ONE D1 batch (one transaction), so a document is applied
// whole or not at all. Every row updated or deleted is guarded by the stamp it was planned from.

export interface ApplyInput {
  desired: DesiredConfig;
  steps: PlanSteps;
  secrets: Record<string, string>;
  changedBy: string;
  changeNote: string | null;
  now: number;
}

export const DEFAULT_CHANGE_NOTE = "Applied from a configuration document";

export async function applyConfig(env: Env, input: ApplyInput): Promise<ConfigApplyResult["generated_secrets"]> {
  const { steps, now } = input;
  const db = env.LEDGER;
  const secretOf = secretLookup(input);
  const generated: ConfigApplyResult["generated_secrets"] = [];
  const statements: D1PreparedStatement[] = [];

  const pinned = pinnedRuleNames(steps);
  const all: Array<[Parameters<typeof stampGuardStatement>[1], Array<Step<unknown>>]> = [
    ["credential", steps.credentials],
    ["connection", steps.connections],
    ["alert_channel", steps.channels],
    ["alert_rule", steps.rules],
  ];
  for (const [kind, section] of all) {
    for (const step of section) {
      if (step.stored === null) continue;
      const name = (step.stored.entry as { name: string }).name;
      // An unchanged entry given a new secret is written too (a rotation), so it is guarded as well.
      const rotated = (kind === "credential" || kind === "alert_channel") && secretOf(kind, name) !== undefined;
      if (step.action !== "unchanged" || rotated || pinned.has(step as Step<RuleCanon>))
        statements.push(stampGuardStatement(db, kind, step.stored.id, step.stored.stamp));
    }
  }

  // Deletes first, dependents before what they depend on, so names they free can be taken again below.
  for (const step of steps.rules) if (step.action === "delete") statements.push(...deleteAlertRuleStatements(db, step.stored!.id));
  for (const step of steps.channels) if (step.action === "delete") statements.push(...deleteAlertChannelStatements(db, step.stored!.id, now));
  for (const step of steps.connections) if (step.action === "delete") statements.push(...deleteConnectionStatements(db, step.stored!.id));
  for (const step of steps.credentials) if (step.action === "delete") statements.push(deleteCredentialStatement(db, step.stored!.id));

  // Ids by the names the document uses: a renamed entry's new one.
  const credentialIds = new Map<string, string>();
  for (const step of steps.credentials) if (step.stored) credentialIds.set((step.desired ?? step.stored.entry).name, step.stored.id);
  for (const step of steps.credentials) {
    if (!writes(step, secretOf("credential", step.desired?.name ?? ""))) continue;
    const entry = step.desired!;
    const id = step.stored?.id ?? newId("cred", now);
    credentialIds.set(entry.name, id);
    const value = SCHEMES_WITH_SECRET[entry.scheme] ? secretOf("credential", entry.name) : undefined;
    // undefined keeps the stored secret; a scheme without one clears it.
    const secret = !SCHEMES_WITH_SECRET[entry.scheme]
      ? null
      : value === undefined
        ? undefined
        : await sealCredentialSecret(env, id, entry.scheme, entry.config, value);
    // A refresh token belongs to its client at its provider, and a document cannot carry one: a new token URL or
    // client drops the kept one rather than send it there, and the credential is connected again.
    const refresh = step.fields.some((field) => field.path === "config.token_url" || field.path === "config.client_id") ? { refresh: null } : {};
    const write = { name: entry.name, scheme: entry.scheme, config: entry.config as CredentialConfig, ...(secret === undefined ? {} : { secret }), ...refresh };
    statements.push(step.stored ? updateCredentialStatement(db, id, write, now) : insertCredentialStatement(db, id, { ...write, secret: secret ?? null }, now));
  }

  const connectionIds = new Map<string, string>();
  for (const step of steps.connections) if (step.stored) connectionIds.set(connectionKey(step.desired ?? step.stored.entry), step.stored.id);
  const reordered = new Set<string>();
  for (const step of steps.connections) {
    const entry = step.desired ?? step.stored!.entry;
    if (step.action === "delete" || step.action === "create" || step.fields.some((field) => field.path === "position")) reordered.add(entry.credential);
    if (step.action !== "create" && step.action !== "update") continue;
    const { credential, position: _position, ...snapshot } = step.desired!;
    const change: ConnectionChange = { snapshot, changedBy: input.changedBy, note: input.changeNote ?? DEFAULT_CHANGE_NOTE, now };
    if (step.stored === null) {
      const id = newId("conn", now);
      connectionIds.set(connectionKey(step.desired!), id);
      statements.push(...insertConnectionStatements(db, id, credentialIds.get(credential) ?? "", change));
    } else if (step.fields.some((field) => field.path !== "position")) {
      // The same statements PATCH /api/connections/{id} runs: a new version with its change note.
      statements.push(...updateConnectionStatements(db, step.stored.id, step.stored.stamp, change));
    }
  }
  for (const credential of reordered) {
    const ordered = (input.desired.connections ?? []).filter((entry) => entry.credential === credential).sort((a, b) => a.position - b.position);
    const id = credentialIds.get(credential);
    if (id !== undefined)
      statements.push(
        ...connectionOrderStatements(
          db,
          id,
          ordered.map((entry) => connectionIds.get(connectionKey(entry)) ?? ""),
        ),
      );
  }
  const idsOf = (refs: RuleCanon["connections"]) => (refs === null ? null : refs.map((ref) => connectionIds.get(connectionKey(ref)) ?? ""));

  const channelIds = new Map<string, string>();
  const wake: string[] = [];
  for (const step of steps.channels) if (step.stored) channelIds.set((step.desired ?? step.stored.entry).name, step.stored.id);
  for (const step of steps.channels) {
    if (!writes(step, secretOf("alert_channel", step.desired?.name ?? ""))) continue;
    const entry = step.desired!;
    const id = step.stored?.id ?? newId("chan", now);
    channelIds.set(entry.name, id);
    const config = channelConfigOf(entry, idsOf);
    const testSchedule = { schedule: entry.test_schedule, nextAt: entry.test_schedule === null ? null : nextFireAfter(entry.test_schedule, now) };
    let value = secretOf("alert_channel", entry.name);
    if (value === undefined && step.stored === null && generatesSecret(entry.kind)) {
      value = generateWebhookSecret();
      generated.push({ kind: "alert_channel", name: entry.name, secret: value });
    }
    const secret = value === undefined ? undefined : { ciphertext: await encryptSecret(env, value, SECRET_BINDINGS.alertChannel(id)), hint: secretHint(value) };
    if (step.stored === null) {
      statements.push(
        insertAlertChannelStatement(db, id, { name: entry.name, kind: entry.kind, config, secret: secret ?? null, enabled: entry.enabled, testSchedule }, now),
      );
    } else {
      const scheduleChanged = step.fields.some((field) => field.path === "test_schedule");
      statements.push(
        updateAlertChannelStatement(
          db,
          id,
          { name: entry.name, config, enabled: entry.enabled, ...(secret ? { secret } : {}), ...(scheduleChanged ? { testSchedule } : {}) },
          now,
        ),
      );
      if (entry.enabled && step.stored.entry.enabled === false) wake.push(id);
    }
  }

  for (const step of steps.rules) {
    if (step.action !== "create" && step.action !== "update" && !pinned.has(step)) continue;
    const entry = step.desired!;
    const write = {
      name: entry.name,
      channelId: channelIds.get(entry.channel) ?? "",
      connectionIds: idsOf(entry.connections),
      condition: entry.condition,
      failureThreshold: entry.failure_threshold,
      notifyRecovery: entry.notify_recovery,
      enabled: entry.enabled,
      severity: entry.severity,
      params: entry.params,
      mutedUntil: entry.muted_until === null ? null : Date.parse(entry.muted_until),
    };
    statements.push(step.stored ? updateAlertRuleStatement(db, step.stored.id, write, now) : insertAlertRuleStatement(db, newId("rule", now), write, now));
  }

  try {
    await runConfigBatch(db, statements);
  } catch (error) {
    if (isStateMoved(error) || isUniqueViolation(error, "connection_versions")) throw planChanged();
    if (isUniqueViolation(error, "")) throw new ConflictError("name_taken", "A name in the document was taken meanwhile; nothing was applied. Plan again.");
    throw error;
  }
  // Deliveries that waited while a channel was off go out now.
  for (const id of wake) await wakeSender(env, id);
  return generated;
}

// A dashboard rule's name follows its channel's (`<channel> / <condition>`): when the channel is renamed, such a
// rule is written with the name the document knows it by, so the next plan still matches it.
function pinnedRuleNames(steps: PlanSteps): Set<Step<RuleCanon>> {
  const renamedChannels = new Set(steps.channels.flatMap((step) => (step.renamedFrom === undefined ? [] : [step.desired!.name])));
  return new Set(steps.rules.filter((step) => step.action === "unchanged" && step.stored?.derivedName === true && renamedChannels.has(step.desired!.channel)));
}

// Created and changed entries are written; an unchanged one only when a secret is given for it (a rotation).
function writes(step: Step<unknown>, secret: string | undefined): boolean {
  return step.action === "create" || step.action === "update" || (step.action === "unchanged" && secret !== undefined);
}

// `planId`: the plan as it is now, when known.
export function planChanged(planId?: string): ConflictError {
  return new ConflictError("plan_changed", "The configuration changed since this plan was made; nothing was applied.", {
    hint: "Preview the changes again, check them, and apply the new plan.",
    ...(planId === undefined ? {} : { meta: { plan_id: planId } }),
  });
}

// The secrets given for the entries; every required one must be there, every one given must be referenced, and
// each must suit what references it (a credential's private key must sign, every other secret is one line).
export async function secretIssues(desired: DesiredConfig, required: string[], given: Record<string, string>): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  for (const name of required) {
    if (given[name] === undefined) issues.push({ path: `secrets.${name}`, message: "the document needs this secret's value", in: "body" });
  }
  for (const [name, value] of Object.entries(given)) {
    const refs = desired.secretRefs.filter((ref) => ref.secret === name);
    if (refs.length === 0) issues.push({ path: `secrets.${name}`, message: "the document references no secret by this name", in: "body" });
    const messages = new Set(await Promise.all(refs.map((ref) => refIssue(desired, ref, value))));
    for (const message of messages) if (message !== null) issues.push({ path: `secrets.${name}`, message, in: "body" });
  }
  return issues;
}

async function refIssue(desired: DesiredConfig, ref: DesiredConfig["secretRefs"][number], value: string): Promise<string | null> {
  const credential = ref.kind === "credential" ? desired.credentials?.find((entry) => entry.name === ref.name) : undefined;
  if (credential !== undefined) {
    const issue = await credentialSecretIssue(credential.scheme, credential.config, value);
    return issue === null ? null : `credential "${credential.name}": ${issue}`;
  }
  return oneLineSecretIssue(value);
}

export async function assertSecrets(desired: DesiredConfig, required: string[], given: Record<string, string>): Promise<void> {
  const issues = await secretIssues(desired, required, given);
  if (issues.length > 0) throw invalidInput(issues);
}

function secretLookup(input: ApplyInput) {
  return (kind: "credential" | "alert_channel", name: string): string | undefined => {
    const ref = input.desired.secretRefs.find((r) => r.kind === kind && r.name === name);
    return ref === undefined ? undefined : input.secrets[ref.secret];
  };
}

function channelConfigOf(entry: ChannelCanon, idsOf: (refs: RuleCanon["connections"]) => string[] | null): ChannelConfig["config"] {
  const { name: _n, kind, enabled: _e, test_schedule: _t, connections, ...config } = entry;
  const secretField = secretFieldOf(kind);
  if (secretField !== null) delete config[secretField];
  return (kind === "webhook" ? { ...config, connection_ids: idsOf((connections as RuleCanon["connections"]) ?? null) } : config) as ChannelConfig["config"];
}
