import { buildSingleRequest, serialiseBulkItem, type CompiledUpdate } from "./payload";
import { readPath, setPath } from "./paths";
import { destinationValues, reconcile, type CompiledMapping, type Decision, type FieldDifference } from "./reconcile";

// A dry run's plan and the check an apply makes before each planned write. Pure: the caller looks the record up
// again and reads the source again; this decides whether what the plan saw still holds.

/** One planned write: the request a dry job would have sent for the serial and what it compared against. */
export interface PlanEntry {
  serial: string;
  method: string;
  url: string;
  // The exact request body; for a bulk contract, the record's item as it goes into the batch.
  body: string;
  // The contract's headers (the idempotency key is the applying job's own, so it is not part of the plan).
  headers: Record<string, string>;
  // Destination value of each writable field when the plan was made (null when absent).
  seen: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export interface PlannedRequest {
  method: string;
  url: string;
  body: string;
}

/** The request (bulk: the item) a write decision sends, without a key; or why it cannot be built. */
export function plannedRequest(
  update: CompiledUpdate,
  serial: string,
  payload: Record<string, unknown>,
  destination: unknown,
): PlannedRequest | { error: string } {
  if (update.bulk !== null) {
    try {
      return { method: update.method, url: update.url.literals[0]!, body: serialiseBulkItem(update, serial, payload) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }
  const built = buildSingleRequest(update, serial, payload, destination);
  return "error" in built ? { error: built.error } : { method: built.method, url: built.url, body: built.body };
}

/** The plan entry of a dry job's write decision. */
export function planEntryOf(
  mapping: CompiledMapping,
  update: CompiledUpdate,
  decision: Decision,
  destination: Record<string, unknown>,
  request: PlannedRequest,
): PlanEntry {
  return {
    serial: decision.serial,
    ...request,
    headers: contractHeaders(update),
    seen: destinationValues(mapping, destination),
    payload: decision.payload ?? {},
  };
}

function contractHeaders(update: CompiledUpdate): Record<string, string> {
  const key = update.idempotencyHeader?.toLowerCase();
  return Object.fromEntries(Object.entries(update.headers).filter(([name]) => name.toLowerCase() !== key));
}

export interface DriftCheckInput {
  entry: PlanEntry;
  mapping: CompiledMapping;
  update: CompiledUpdate;
  // The source record now (null: no longer in the source) and the destination record now (null: gone).
  source: Record<string, unknown> | null;
  destination: Record<string, unknown> | null;
}

export type DriftVerdict =
  // Everything the plan saw holds: the fresh decision sends exactly the planned request.
  { kind: "apply"; decision: Decision } | { kind: "drifted"; reason: string; differences: FieldDifference[] };

export function checkPlanDrift(input: DriftCheckInput): DriftVerdict {
  const { entry, mapping, update, source, destination } = input;
  const fields = mapping.rules.filter((rule) => rule.action !== "never");
  const plannedValue = (field: string) => {
    const rule = fields.find((r) => r.field === field)!;
    return readPath(entry.payload, rule.destination);
  };

  if (source === null) {
    const differences = fields
      .filter((rule) => readPath(entry.payload, rule.destination) !== undefined)
      .map((rule) => ({ field: rule.field, expected: plannedValue(rule.field), found: null, side: "source" as const }));
    return { kind: "drifted", reason: "the source record is gone since the plan", differences };
  }
  if (destination === null) {
    const differences = Object.entries(entry.seen).map(([field, expected]) => ({ field, expected, found: null, side: "destination" as const }));
    return { kind: "drifted", reason: "the destination record is gone since the plan", differences };
  }

  const differences: FieldDifference[] = [];
  const now = destinationValues(mapping, destination);
  for (const [field, expected] of Object.entries(entry.seen)) {
    if (!sameValue(expected, now[field] ?? null)) differences.push({ field, expected, found: now[field] ?? null, side: "destination" });
  }

  // Today's source against the destination as the plan saw it: a different payload means the source changed.
  const asSeen = structuredClone(destination);
  for (const rule of fields) if (Object.hasOwn(entry.seen, rule.field)) setPath(asSeen, rule.destination, entry.seen[rule.field]);
  const again = reconcile({ serial: entry.serial, source, destination: asSeen, rules: mapping });
  const sourceReason = again.kind === "write" ? null : (again.error ?? again.reason ?? null);
  for (const rule of fields) {
    const planned = readPath(entry.payload, rule.destination);
    const fresh = again.payload === null ? undefined : readPath(again.payload, rule.destination);
    if (sameValue(planned ?? null, fresh ?? null) && (planned === undefined) === (fresh === undefined)) continue;
    const kept = entry.seen[rule.field] ?? null;
    differences.push({ field: rule.field, expected: planned === undefined ? kept : planned, found: fresh === undefined ? kept : fresh, side: "source" });
  }

  if (differences.length > 0) return { kind: "drifted", reason: driftReason(differences, sourceReason), differences };

  const decision = reconcile({ serial: entry.serial, source, destination, rules: mapping });
  const request = decision.kind === "write" && decision.payload !== null ? plannedRequest(update, entry.serial, decision.payload, destination) : null;
  if (request === null || "error" in request) {
    return {
      kind: "drifted",
      reason: `the write cannot be built as planned: ${request?.error ?? decision.error ?? decision.reason ?? decision.kind}`,
      differences,
    };
  }
  // The URL may name other destination fields (an id, say), so the request itself is compared last.
  for (const part of ["method", "url", "body"] as const) {
    if (request[part] !== entry[part]) differences.push({ field: `request ${part}`, expected: entry[part], found: request[part], side: "destination" });
  }
  if (differences.length > 0) return { kind: "drifted", reason: "the request would differ from the planned one", differences };
  return { kind: "apply", decision };
}

function driftReason(differences: readonly FieldDifference[], sourceReason: string | null): string {
  const parts: string[] = [];
  const destination = differences.filter((d) => d.side === "destination").map((d) => d.field);
  const source = differences.filter((d) => d.side === "source").map((d) => d.field);
  if (destination.length > 0) parts.push(`the destination changed since the plan (${destination.join(", ")})`);
  if (source.length > 0) parts.push(`the source changed since the plan (${source.join(", ")}${sourceReason === null ? "" : `; ${sourceReason}`})`);
  return parts.join("; ");
}

/** Structural equality of JSON values (object key order does not matter). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => sameValue(item, other[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => Object.hasOwn(right, key) && sameValue(left[key], right[key]));
}
