import { DEMO_ALLOWED_FIELDS, FLEET_STATES, type FleetDevice, type FleetField, type FleetState } from "./demo-data";
import { assertNever } from "../../shared/lang";

export type DeviceChanges = Partial<Pick<FleetDevice, FleetField>>;

// Identity fields may ride along in a payload but must name the device being written.
export interface DeviceIdentity {
  serial?: string;
  id?: string;
}

export type ParsedUpdate = { ok: true; changes: DeviceChanges; identity: DeviceIdentity } | { ok: false; field: string | null; message: string };

// JSON bodies carry real types; XML and forms carry only text, so numbers arrive as digits and "" means null.
export type PayloadOrigin = "json" | "xml" | "form";

const ALLOWED = new Set<string>(DEMO_ALLOWED_FIELDS);
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const MAX_TEXT = 200;

export function parseDeviceUpdate(input: Record<string, unknown>, origin: PayloadOrigin): ParsedUpdate {
  const changes: DeviceChanges = {};
  const identity: DeviceIdentity = {};
  for (const [key, raw] of Object.entries(input)) {
    if (key === "serial" || key === "id") {
      if (typeof raw !== "string" && typeof raw !== "number") {
        return { ok: false, field: key, message: `field "${key}" must be a string or number` };
      }
      identity[key] = String(raw);
      continue;
    }
    if (!ALLOWED.has(key)) {
      return {
        ok: false,
        field: key,
        message: `unknown field "${key}"; writable fields are ${DEMO_ALLOWED_FIELDS.join(", ")}`,
      };
    }
    const value = origin === "json" ? raw : fromText(key as FleetField, raw);
    const problem = assign(changes, key as FleetField, value);
    if (problem !== null) return { ok: false, field: key, message: `field "${key}" ${problem}, got ${describe(raw)}` };
  }
  return { ok: true, changes, identity };
}

export function identityMismatch(identity: DeviceIdentity, device: Pick<FleetDevice, "id" | "serial">): string | null {
  if (identity.serial !== undefined && identity.serial !== device.serial) {
    return `field "serial" is ${identity.serial} but the URL names ${device.serial}`;
  }
  if (identity.id !== undefined && identity.id !== String(device.id)) {
    return `field "id" is ${identity.id} but device ${device.serial} has id ${device.id}`;
  }
  return null;
}

// Returns a description of what the field needs, or null when the value was accepted.
function assign(changes: DeviceChanges, field: FleetField, value: unknown): string | null {
  switch (field) {
    case "battery":
      if (value === null) break;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 100) {
        return "must be an integer from 0 to 100 or null";
      }
      break;
    case "state":
      if (value === null) break;
      if (typeof value !== "string" || !(FLEET_STATES as readonly string[]).includes(value)) {
        return `must be one of ${FLEET_STATES.join(", ")} or null`;
      }
      break;
    case "last_seen":
      if (value === null) break;
      if (typeof value !== "string" || !ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
        return "must be an ISO 8601 date-time string or null";
      }
      break;
    case "display_name":
    case "firmware":
    case "site_code":
    case "contact_email":
      if (value === null) break;
      if (typeof value !== "string" || value.length > MAX_TEXT) return `must be a string of at most ${MAX_TEXT} characters or null`;
      break;
    default:
      return assertNever(field);
  }
  (changes as Record<FleetField, unknown>)[field] = value as FleetState | string | number | null;
  return null;
}

// XML or form text becomes the type the field holds; anything structured is left as is, to be refused.
function fromText(field: FleetField, raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  if (raw === "") return null;
  return field === "battery" && DECIMAL.test(raw) ? Number(raw) : raw;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
