import type { ConnectionConfig, FieldAction, FieldRule, PayloadFormat, UpdateFormat } from "./contracts";
import { compileFormatter, FORMAT_FAILED, type CompiledFormatter, type Formatted } from "./formatters";
import { compilePath, readPath, setPath, type CompiledPath } from "./paths";
import { compileTemplate, renderText, UNRENDERABLE, type CompiledTemplate } from "./templates";
import { describeCodePoint, findIllegalXmlChar } from "./xml";
import { assertNever } from "../../shared/lang";

// drifted: an apply run did not write the serial because what its plan saw no longer holds. verified and
// verify_mismatch: written and read back, every written field as sent or not; updated: written, not read back.
export const RECORD_ACTIONS = [
  "would_update",
  "updated",
  "skipped_rule",
  "skipped_no_change",
  "missing_source",
  "missing_destination",
  "failed",
  "drifted",
  "verified",
  "verify_mismatch",
] as const;
export type RecordAction = (typeof RECORD_ACTIONS)[number];

// The actions that mean a record was written: what dashboards, stats and alerts count as "written".
export const WRITTEN_ACTIONS = ["updated", "verified", "verify_mismatch"] as const satisfies readonly RecordAction[];
// The actions only a live job records; would_update only a dry one.
export const LIVE_ACTIONS = ["updated", "verified", "verify_mismatch", "drifted"] as const satisfies readonly RecordAction[];

export function writtenTotal(counters: Pick<Record<RecordAction, number>, (typeof WRITTEN_ACTIONS)[number]>): number {
  return counters.updated + counters.verified + counters.verify_mismatch;
}

/**
 * A field that does not hold what was expected. side "stored": expected is the value sent, found the value read
 * back (verify_mismatch). side "destination"/"source": what an apply run's plan saw or would have sent, and
 * what the destination holds or a write would send now (drifted). found is null when the value is gone.
 */
export interface FieldDifference {
  field: string;
  expected: unknown;
  found: unknown;
  side: "stored" | "destination" | "source";
}

export const DECISION_KINDS = ["write", "skipped_rule", "skipped_no_change", "missing_source", "missing_destination", "failed"] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

export interface FieldChange {
  field: string;
  // null when the destination record lacks the field.
  before: unknown;
  after: unknown;
  // false for "never" rules: the difference is reported but not written.
  written: boolean;
}

export interface Decision {
  serial: string;
  kind: DecisionKind;
  changes: FieldChange[];
  payload: Record<string, unknown> | null;
  error?: string;
  reason?: string;
}

interface CompiledRule {
  readonly field: string;
  readonly sourceLabel: string;
  readonly destination: CompiledPath;
  readonly source: CompiledPath | null;
  readonly template: CompiledTemplate | null;
  readonly formatter: CompiledFormatter;
  readonly action: FieldAction;
  readonly writeNull: boolean;
  readonly required: boolean;
}

export interface CompiledMapping {
  readonly rules: readonly CompiledRule[];
  readonly payloadFormat: UpdateFormat;
  readonly destinationFormat: PayloadFormat;
}

export interface CompileMappingOptions {
  // "xml" makes text that XML 1.0 cannot carry fail the record here, so dry and live runs agree.
  payloadFormat?: UpdateFormat;
  // "xml" reads an empty element as null and unwraps elements that carry attributes.
  destinationFormat?: PayloadFormat;
}

export function compileMapping(rules: readonly FieldRule[], options: CompileMappingOptions = {}): CompiledMapping {
  const compiled = rules.map((rule): CompiledRule => {
    const isTemplate = rule.formatter === "template";
    if (isTemplate && rule.options?.template === undefined) throw new Error('formatter "template" needs options.template');
    if (!isTemplate && rule.source === undefined) throw new Error(`rule for "${rule.destination}" has no source path`);
    return {
      field: rule.destination,
      sourceLabel: isTemplate ? `template "${rule.options!.template}"` : `source "${rule.source}"`,
      destination: compilePath(rule.destination),
      source: isTemplate ? null : compilePath(rule.source!),
      template: isTemplate ? compileTemplate(rule.options!.template!) : null,
      formatter: compileFormatter(rule.formatter, rule.options),
      action: rule.action,
      writeNull: rule.on_null === "write_null",
      required: rule.required,
    };
  });
  return Object.freeze({
    rules: Object.freeze(compiled),
    payloadFormat: options.payloadFormat ?? "json",
    destinationFormat: options.destinationFormat ?? "json",
  });
}

export function compileMappingFor(config: ConnectionConfig): CompiledMapping {
  return compileMapping(config.mapping, { payloadFormat: config.update.formatter, destinationFormat: config.fetch.format });
}

export interface ReconcileInput {
  serial: string;
  source: Record<string, unknown> | null;
  destination: Record<string, unknown> | null;
  rules: CompiledMapping;
}

function sourceValue(rule: CompiledRule, source: Record<string, unknown>): unknown {
  return rule.template === null ? readPath(source, rule.source!) : renderText(rule.template, source);
}

// How a record without a write is classified:
// - skipped_no_change: at least one rule that was allowed to write (update_if_changed with a value) compared
//   equal, so the destination already holds what we would send;
// - skipped_rule: no rule was allowed to write — every rule was "never" (compare only) or null-protected.
// A "never" difference is listed in changes with written=false and does not change the classification.
export function reconcile(input: ReconcileInput): Decision {
  const { serial, source, destination, rules: mapping } = input;
  if (source === null) return outcome(serial, "missing_source", null, null, `${serial} is not in the source`);
  const rules = mapping.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (!rule.required) continue;
    const value = sourceValue(rule, source);
    if (value === undefined || value === null) {
      return outcome(serial, "missing_source", null, null, `required ${rule.sourceLabel} is absent`);
    }
  }
  if (destination === null) return outcome(serial, "missing_destination", null, null, "destination record not found");

  const xmlDestination = mapping.destinationFormat === "xml";
  const xmlPayload = mapping.payloadFormat === "xml";
  let payload: Record<string, unknown> | null = null;
  let changes: FieldChange[] | null = null;
  let comparedEqual = false;

  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const raw = sourceValue(rule, source);
    if (raw === UNRENDERABLE) {
      return failed(serial, `field "${rule.field}" (${rule.sourceLabel}): a placeholder holds a list or an object`);
    }
    let formatted: Formatted;
    if ((raw === null || raw === undefined) && !rule.formatter.acceptsNull) {
      if (!rule.writeNull) continue;
      formatted = null;
    } else {
      const result = rule.formatter.format(raw);
      if (result === FORMAT_FAILED) {
        return failed(serial, `field "${rule.field}" (${rule.sourceLabel}): ${rule.formatter.explain(raw)}`);
      }
      formatted = result;
    }

    const current = destinationValue(destination, rule, xmlDestination);
    const equal = holdsValue(rule, formatted, current, xmlDestination);

    if (rule.action === "never") {
      if (!equal) (changes ??= []).push({ field: rule.field, before: current ?? null, after: formatted, written: false });
      continue;
    }
    if (equal && rule.action === "update_if_changed") {
      comparedEqual = true;
      continue;
    }
    if (xmlPayload && typeof formatted === "string") {
      const illegal = findIllegalXmlChar(formatted);
      if (illegal !== null) {
        return failed(serial, `field "${rule.field}": character ${describeCodePoint(illegal)} cannot be sent in XML`);
      }
    }
    setPath((payload ??= {}), rule.destination, formatted);
    if (!equal) (changes ??= []).push({ field: rule.field, before: current ?? null, after: formatted, written: true });
  }

  if (payload !== null) return outcome(serial, "write", changes, payload);
  return outcome(serial, comparedEqual ? "skipped_no_change" : "skipped_rule", changes, null);
}

function destinationValue(destination: unknown, rule: CompiledRule, xmlDestination: boolean): unknown {
  const current = readPath(destination, rule.destination);
  return xmlDestination ? unwrapXmlText(current) : current;
}

// Whether the destination's value (read and unwrapped) is the formatted one, by the field's formatter.
function holdsValue(rule: CompiledRule, formatted: Formatted, current: unknown, xmlDestination: boolean): boolean {
  // XML cannot tell an empty element from a null one, so there "" and null are the same value.
  const absent = current === undefined || current === null || (xmlDestination && current === "");
  return formatted === null || (xmlDestination && formatted === "") ? absent : !absent && rule.formatter.equals(formatted, current);
}

export interface StoredValueDifference {
  field: string;
  // The value the write sent, and the value read back (null when the field or the record is gone).
  sent: unknown;
  stored: unknown;
}

// A written record read back: every field the payload carried is compared as reconcile compares a lookup (formatter
// equality, XML unwrapping, empty XML as null). `stored` null: the record is gone, so every written field differs.
export function storedDifferences(mapping: CompiledMapping, payload: Record<string, unknown>, stored: Record<string, unknown> | null): StoredValueDifference[] {
  const xmlDestination = mapping.destinationFormat === "xml";
  const differences: StoredValueDifference[] = [];
  for (const rule of mapping.rules) {
    if (rule.action === "never") continue;
    const sent = readPath(payload, rule.destination);
    if (sent === undefined) continue;
    const current = stored === null ? undefined : destinationValue(stored, rule, xmlDestination);
    if (stored !== null && holdsValue(rule, sent as Formatted, current, xmlDestination)) continue;
    differences.push({ field: rule.field, sent, stored: current ?? null });
  }
  return differences;
}

// An XML element with attributes parses to { "#text": ..., "@attr": ... }; its text is the value.
function unwrapXmlText(value: unknown): unknown {
  if (typeof value === "object" && value !== null && !Array.isArray(value) && Object.hasOwn(value, "#text")) {
    return (value as Record<string, unknown>)["#text"];
  }
  return value;
}

function outcome(serial: string, kind: DecisionKind, changes: FieldChange[] | null, payload: Record<string, unknown> | null, reason?: string): Decision {
  const decision: Decision = { serial, kind, changes: changes ?? [], payload };
  if (reason !== undefined) decision.reason = reason;
  return decision;
}

export function failed(serial: string, error: string): Decision {
  return { serial, kind: "failed", changes: [], payload: null, error };
}

export type RunMode = "dry" | "live";

export function finalAction(decision: Decision, mode: RunMode, writeOk?: boolean): RecordAction {
  switch (decision.kind) {
    case "write":
      if (mode === "dry") return "would_update";
      if (writeOk === undefined) throw new Error(`live outcome of "${decision.serial}" needs the write result`);
      return writeOk ? "updated" : "failed";
    case "skipped_rule":
    case "skipped_no_change":
    case "missing_source":
    case "missing_destination":
    case "failed":
      return decision.kind;
    default:
      return assertNever(decision.kind);
  }
}

// The destination value each writable rule compares against (null when absent), as reconcile reads it: what a
// plan records as "seen" and what an apply checks again before it writes.
export function destinationValues(mapping: CompiledMapping, destination: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const rule of mapping.rules) {
    if (rule.action === "never") continue;
    let current = readPath(destination, rule.destination);
    if (mapping.destinationFormat === "xml") current = unwrapXmlText(current);
    values[rule.field] = current ?? null;
  }
  return values;
}
