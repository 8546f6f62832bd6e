import type { FieldRule, Formatter } from "../engine/contracts";
import { assertNever } from "../../shared/lang";

// The demo dataset: a source fleet and the sandbox destination's starting state, built from a
// seeded PRNG so every machine, test and reset sees the same records and the same counters.

export const DEMO_STATUSES = ["active", "inactive", "maintenance"] as const;
export type DemoStatus = (typeof DEMO_STATUSES)[number];

export const FLEET_STATES = ["online", "offline", "service"] as const;
export type FleetState = (typeof FLEET_STATES)[number];

// The source says "status", the destination "state" with its own words: the demo mapping's `map` table.
export const DEMO_STATUS_TO_STATE: Record<DemoStatus, FleetState> = {
  active: "online",
  inactive: "offline",
  maintenance: "service",
};

export interface DemoSourceDevice {
  serial: string;
  name?: string;
  status: DemoStatus;
  firmware_version: string;
  site?: string;
  battery_pct: number | null;
  last_seen_at: string;
  owner_email: string;
}

// Fields a client may write; `id`, `serial`, `model` and `updated_at` are the destination's own.
export const DEMO_ALLOWED_FIELDS = ["display_name", "state", "firmware", "site_code", "battery", "last_seen", "contact_email"] as const;
export type FleetField = (typeof DEMO_ALLOWED_FIELDS)[number];

export interface FleetDevice {
  id: number;
  serial: string;
  display_name: string | null;
  state: FleetState | null;
  firmware: string | null;
  site_code: string | null;
  battery: number | null;
  last_seen: string | null;
  contact_email: string | null;
  model: string;
  updated_at: string;
}

export type DemoOutcome = "would_update" | "skipped_no_change" | "missing_source" | "missing_destination";

// The mapping the demo connections use. Required name and site make the 8 gaps Missing Source.
export const DEMO_FIELD_RULES: FieldRule[] = [
  rule("name", "display_name", "string", { required: true }),
  rule("status", "state", "map", { options: { map: { ...DEMO_STATUS_TO_STATE } } }),
  rule("firmware_version", "firmware", "string"),
  rule("site", "site_code", "uppercase", { required: true }),
  rule("battery_pct", "battery", "integer"),
  rule("last_seen_at", "last_seen", "iso_date"),
  rule("owner_email", "contact_email", "lowercase"),
];

function rule(source: string, destination: string, formatter: Formatter, extra: Partial<FieldRule> = {}): FieldRule {
  return { source, destination, formatter, action: "update_if_changed", on_null: "skip", required: false, ...extra };
}

const SOURCE_COUNT = 500;
const MISSING_NAME = 3;
const MISSING_SITE = 5;
const MISSING_DESTINATION = 25;
const WOULD_UPDATE = 142;
const DESTINATION_ONLY = 20;
// Null batteries sit half on unchanged and half on changed records: on_null "skip" must hide the difference.
const NULL_BATTERY_PER_CATEGORY = 6;
const FIRST_FLEET_ID = 1001;

// Every full run over the untouched demo data with DEMO_FIELD_RULES gives exactly these counters.
export const DEMO_EXPECTATIONS = {
  source_records: SOURCE_COUNT,
  fleet_devices: SOURCE_COUNT - MISSING_DESTINATION + DESTINATION_ONLY,
  destination_only: DESTINATION_ONLY,
  null_battery: NULL_BATTERY_PER_CATEGORY * 2,
  full_run: {
    in_scope: SOURCE_COUNT,
    would_update: WOULD_UPDATE,
    skipped_no_change: SOURCE_COUNT - MISSING_NAME - MISSING_SITE - MISSING_DESTINATION - WOULD_UPDATE,
    missing_source: MISSING_NAME + MISSING_SITE,
    missing_destination: MISSING_DESTINATION,
  },
  // The README's walkthrough on a fresh demo: Single + Dry and Single + Live on DEV-00001 come first, and the
  // live one writes its change, so the Full runs after it find one change fewer. The three connections share
  // the fleet: each dry job finds the same changes, and in the live run only the first one writes them.
  walkthrough: {
    full_dry_each: {
      in_scope: SOURCE_COUNT,
      would_update: WOULD_UPDATE - 1,
      skipped_no_change: SOURCE_COUNT - MISSING_NAME - MISSING_SITE - MISSING_DESTINATION - WOULD_UPDATE + 1,
      missing_source: MISSING_NAME + MISSING_SITE,
      missing_destination: MISSING_DESTINATION,
    },
    full_live_first_updated: WOULD_UPDATE - 1,
    full_live_after_skipped_no_change: SOURCE_COUNT - MISSING_NAME - MISSING_SITE - MISSING_DESTINATION,
  },
} as const;

// Instant the demo clock stands at; last_seen values lie in the 30 days before it.
export const DEMO_NOW = "2026-11-01T00:00:00.000Z";

const KINDS = ["Gateway", "Pump Controller", "Cold-Chain Sensor", "Power Meter", "Asset Tracker", "Door Camera"];
const MODELS = ["GW-200", "PC-11", "CC-4", "PM-3", "AT-9", "DC-1"];
const FIRMWARES = ["2.3.1", "2.4.0", "2.4.2", "3.0.0", "3.1.1"];
const SITES = ["ams-01", "ber-02", "lis-01", "nyc-03", "sfo-01", "sin-02", "syd-01", "tor-01"];
const OWNERS = ["ana.silva", "ben.okafor", "chen.wei", "dana.kowalski", "eli.haddad", "fatima.noor", "gus.lind", "hana.sato"];

interface DemoWorld {
  source: DemoSourceDevice[];
  fleet: FleetDevice[];
  outcomes: Map<string, DemoOutcome>;
}

let world: DemoWorld | null = null;

export function demoSourceDevices(): DemoSourceDevice[] {
  return buildWorld().source.map((d) => ({ ...d }));
}

export function demoFleetDevices(): FleetDevice[] {
  return buildWorld().fleet.map((d) => ({ ...d }));
}

// What a full run should decide for each source serial, by construction of the data.
export function demoExpectedOutcomes(): Map<string, DemoOutcome> {
  return new Map(buildWorld().outcomes);
}

export function demoSerial(n: number): string {
  return `DEV-${String(n).padStart(5, "0")}`;
}

// DEV-00001 is the Single-run example: it always has a change to write.
export const DEMO_SINGLE_SERIAL = demoSerial(1);

// The first serial of each outcome, plus one that only the destination knows, for demos and tests.
export function demoExampleSerials(): Record<DemoOutcome | "destination_only", string> {
  const first = (outcome: DemoOutcome): string => [...buildWorld().outcomes].find(([, o]) => o === outcome)![0];
  return {
    would_update: DEMO_SINGLE_SERIAL,
    skipped_no_change: first("skipped_no_change"),
    missing_source: first("missing_source"),
    missing_destination: first("missing_destination"),
    destination_only: demoSerial(SOURCE_COUNT + 1),
  };
}

function buildWorld(): DemoWorld {
  world ??= generate();
  return world;
}

function generate(): DemoWorld {
  const rng = mulberry32(0x5eedf1ee);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  const demoNow = Date.parse(DEMO_NOW);

  const source: DemoSourceDevice[] = [];
  const kinds: number[] = [];
  for (let n = 1; n <= SOURCE_COUNT; n++) {
    const kind = Math.floor(rng() * KINDS.length);
    kinds.push(kind);
    const r = rng();
    const status: DemoStatus = r < 0.75 ? "active" : r < 0.9 ? "inactive" : "maintenance";
    const lastSeen = demoNow - Math.floor(rng() * 30 * 24 * 3600) * 1000;
    source.push({
      serial: demoSerial(n),
      name: `${KINDS[kind]!} ${String(n).padStart(3, "0")}`,
      status,
      firmware_version: pick(FIRMWARES),
      site: pick(SITES),
      battery_pct: 5 + Math.floor(rng() * 96),
      last_seen_at: new Date(lastSeen).toISOString(),
      owner_email: `${pick(OWNERS)}@example.com`,
    });
  }

  // DEV-00001 is pinned to "would_update"; the rest are dealt into categories by a seeded shuffle.
  const order = shuffle(range(1, SOURCE_COUNT - 1), rng);
  const take = (count: number): number[] => order.splice(0, count);
  const missingName = take(MISSING_NAME);
  const missingSite = take(MISSING_SITE);
  const missingDestination = new Set(take(MISSING_DESTINATION));
  const wouldUpdate = [0, ...take(WOULD_UPDATE - 1)];
  const unchanged = order;

  const outcomeAt: DemoOutcome[] = [];
  for (const i of unchanged) outcomeAt[i] = "skipped_no_change";
  for (const i of wouldUpdate) outcomeAt[i] = "would_update";
  for (const i of missingDestination) outcomeAt[i] = "missing_destination";
  for (const i of [...missingName, ...missingSite]) outcomeAt[i] = "missing_source";
  const outcomes = new Map(source.map((d, i) => [d.serial, outcomeAt[i]!] as const));

  for (const i of missingName) delete source[i]!.name;
  for (const i of missingSite) delete source[i]!.site;
  const nullBattery = new Set([...unchanged.slice(0, NULL_BATTERY_PER_CATEGORY), ...wouldUpdate.slice(1, 1 + NULL_BATTERY_PER_CATEGORY)]);
  for (const i of nullBattery) source[i]!.battery_pct = null;

  const fleetRows: Omit<FleetDevice, "id">[] = [];
  for (let i = 0; i < SOURCE_COUNT; i++) {
    if (missingDestination.has(i)) continue;
    const src = source[i]!;
    const device = mirror(src, MODELS[kinds[i]!]!, pick(SITES));
    if (nullBattery.has(i)) device.battery = differentBattery(5 + Math.floor(rng() * 96), rng);
    if (outcomes.get(src.serial) === "would_update") {
      const candidates = DEMO_ALLOWED_FIELDS.filter((f) => !(f === "battery" && src.battery_pct === null));
      const count = 1 + Math.floor(rng() * 3);
      for (const field of shuffle([...candidates], rng).slice(0, count)) alter(device, field, rng, pick);
    } else if (outcomes.get(src.serial) === "missing_source" && rng() < 0.5) {
      alter(device, "firmware", rng, pick);
    }
    fleetRows.push(device);
  }
  for (let n = SOURCE_COUNT + 1; n <= SOURCE_COUNT + DESTINATION_ONLY; n++) {
    const kind = Math.floor(rng() * KINDS.length);
    fleetRows.push({
      serial: demoSerial(n),
      display_name: `${KINDS[kind]!} ${String(n).padStart(3, "0")} (retired)`,
      state: "offline",
      firmware: pick(FIRMWARES),
      site_code: pick(SITES).toUpperCase(),
      battery: null,
      last_seen: new Date(demoNow - (60 + Math.floor(rng() * 300)) * 24 * 3600 * 1000).toISOString(),
      contact_email: `${pick(OWNERS)}@example.com`,
      model: MODELS[kind]!,
      updated_at: DEMO_NOW,
    });
  }
  const fleet = fleetRows.map((row, index) => ({ id: FIRST_FLEET_ID + index, ...row }));
  return { source, fleet, outcomes };
}

// The destination record that exactly matches the source after DEMO_FIELD_RULES' formatters.
function mirror(src: DemoSourceDevice, model: string, fallbackSite: string): Omit<FleetDevice, "id"> {
  return {
    serial: src.serial,
    display_name: src.name ?? `Device ${src.serial}`,
    state: DEMO_STATUS_TO_STATE[src.status],
    firmware: src.firmware_version,
    site_code: (src.site ?? fallbackSite).toUpperCase(),
    battery: src.battery_pct,
    last_seen: src.last_seen_at,
    contact_email: src.owner_email.toLowerCase(),
    model,
    updated_at: DEMO_NOW,
  };
}

function alter(device: Omit<FleetDevice, "id">, field: FleetField, rng: () => number, pick: <T>(items: readonly T[]) => T): void {
  switch (field) {
    case "display_name":
      device.display_name = `Legacy ${device.display_name ?? device.serial}`;
      return;
    case "state":
      device.state = FLEET_STATES.filter((s) => s !== device.state)[Math.floor(rng() * 2)]!;
      return;
    case "firmware":
      device.firmware = pick(FIRMWARES.filter((f) => f !== device.firmware));
      return;
    case "site_code":
      device.site_code = pick(SITES.map((s) => s.toUpperCase()).filter((s) => s !== device.site_code));
      return;
    case "battery":
      device.battery = differentBattery(device.battery, rng);
      return;
    case "last_seen":
      device.last_seen = new Date(Date.parse(device.last_seen ?? DEMO_NOW) - (1 + Math.floor(rng() * 72)) * 3600 * 1000).toISOString();
      return;
    case "contact_email":
      device.contact_email = pick(OWNERS.map((o) => `${o}@example.com`).filter((e) => e !== device.contact_email));
      return;
    default:
      return assertNever(field);
  }
}

function differentBattery(current: number | null, rng: () => number): number {
  const candidate = 5 + Math.floor(rng() * 96);
  return candidate === current ? (candidate === 100 ? 99 : candidate + 1) : candidate;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function shuffle<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

// Small, fast, well-distributed 32-bit PRNG; determinism matters here, not cryptographic quality.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
