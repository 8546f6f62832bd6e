import { demoFleetDevices, type FleetDevice } from "./demo-data";
import type { DeviceChanges } from "./device-fields";
import type { SandboxConfig } from "./sandbox-config";

export const SANDBOX_STATS = ["requests", "writes", "throttled", "errors", "unauthorized", "source_requests", "token_requests"] as const;
export type SandboxStat = (typeof SANDBOX_STATS)[number];
export type SandboxStats = Record<SandboxStat, number>;

// Bump when the demo data changes shape, so a persisted fleet from an older build is reseeded.
const SEED_VERSION = "1";

type Transaction = <T>(fn: () => T) => T;

// All of the sandbox fleet's SQLite access. Every call is synchronous, so each is atomic in the DO.
export class FleetStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly transaction: Transaction,
  ) {}

  ensureSeeded(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS fleet_devices (
      serial TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE, body TEXT NOT NULL)`);
    this.sql.exec("CREATE TABLE IF NOT EXISTS fleet_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS fleet_stats (name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS fleet_writes (serial TEXT PRIMARY KEY, writes INTEGER NOT NULL)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS fleet_tokens (token TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)");
    // The jti of every assertion taken, until it expires: a provider refuses one sent twice.
    this.sql.exec("CREATE TABLE IF NOT EXISTS fleet_assertions (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)");
    // Refresh tokens issued or taken: live, spent (rotated away) or revoked. The knob's own token is live until here.
    this.sql.exec("CREATE TABLE IF NOT EXISTS fleet_refresh_tokens (token TEXT PRIMARY KEY, state TEXT NOT NULL)");
    // Temporary keys AssumeRole issued, until they expire.
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS fleet_sts_sessions (access_key_id TEXT PRIMARY KEY, secret TEXT NOT NULL, session_token TEXT NOT NULL, expires_at INTEGER NOT NULL)",
    );
    // Authorization codes until they are redeemed (once) or expire, with what the redemption must match.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS fleet_auth_codes (
      code TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL, challenge TEXT NOT NULL, expires_at INTEGER NOT NULL)`);
    if (this.meta("seed_version") !== SEED_VERSION) this.reset({ keepConfig: true });
  }

  reset(options: { keepConfig: boolean }): void {
    this.transaction(() => {
      this.sql.exec("DELETE FROM fleet_devices");
      this.sql.exec("DELETE FROM fleet_stats");
      this.sql.exec("DELETE FROM fleet_writes");
      this.sql.exec("DELETE FROM fleet_tokens");
      this.sql.exec("DELETE FROM fleet_assertions");
      this.sql.exec("DELETE FROM fleet_refresh_tokens");
      this.sql.exec("DELETE FROM fleet_auth_codes");
      this.sql.exec("DELETE FROM fleet_sts_sessions");
      if (!options.keepConfig) this.sql.exec("DELETE FROM fleet_meta WHERE key = 'config'");
      for (const device of demoFleetDevices()) {
        this.sql.exec("INSERT INTO fleet_devices (serial, id, body) VALUES (?, ?, ?)", device.serial, device.id, JSON.stringify(device));
      }
      this.setMeta("seed_version", SEED_VERSION);
    });
  }

  getDevice(serial: string): FleetDevice | null {
    const row = this.sql.exec<{ body: string }>("SELECT body FROM fleet_devices WHERE serial = ?", serial).toArray()[0];
    return row === undefined ? null : (JSON.parse(row.body) as FleetDevice);
  }

  countDevices(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM fleet_devices").one().n;
  }

  pageDevices(offset: number, limit: number): FleetDevice[] {
    return this.bodies(this.sql.exec<{ body: string }>("SELECT body FROM fleet_devices ORDER BY id LIMIT ? OFFSET ?", limit, offset));
  }

  devicesAfterId(afterId: number, limit: number): FleetDevice[] {
    return this.bodies(this.sql.exec<{ body: string }>("SELECT body FROM fleet_devices WHERE id > ? ORDER BY id LIMIT ?", afterId, limit));
  }

  countDevicesUpToId(id: number): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM fleet_devices WHERE id <= ?", id).one().n;
  }

  // The write and its count are synchronous with no await between them, so the Durable Object
  // commits them together and _stats never disagrees with the data.
  updateDevice(device: FleetDevice, changes: DeviceChanges, now: string): FleetDevice {
    const updated: FleetDevice = { ...device, ...changes, updated_at: now };
    this.sql.exec("UPDATE fleet_devices SET body = ? WHERE serial = ?", JSON.stringify(updated), device.serial);
    this.sql.exec("INSERT INTO fleet_writes (serial, writes) VALUES (?, 1) ON CONFLICT(serial) DO UPDATE SET writes = writes + 1", device.serial);
    this.bump("writes");
    return updated;
  }

  // All or nothing, for a bulk write that fails half-way.
  transactionally<T>(fn: () => T): T {
    return this.transaction(fn);
  }

  bump(stat: SandboxStat): number {
    return this.sql
      .exec<{ value: number }>("INSERT INTO fleet_stats (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value", stat)
      .one().value;
  }

  stats(): SandboxStats {
    const stats = Object.fromEntries(SANDBOX_STATS.map((s) => [s, 0])) as SandboxStats;
    for (const row of this.sql.exec<{ name: string; value: number }>("SELECT name, value FROM fleet_stats")) {
      if ((SANDBOX_STATS as readonly string[]).includes(row.name)) stats[row.name as SandboxStat] = row.value;
    }
    return stats;
  }

  writesFor(serial: string): number {
    return this.sql.exec<{ writes: number }>("SELECT writes FROM fleet_writes WHERE serial = ?", serial).toArray()[0]?.writes ?? 0;
  }

  topWrites(limit: number): Record<string, number> {
    const rows = this.sql.exec<{ serial: string; writes: number }>("SELECT serial, writes FROM fleet_writes ORDER BY writes DESC, serial LIMIT ?", limit);
    return Object.fromEntries([...rows].map((r) => [r.serial, r.writes]));
  }

  serialsWritten(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM fleet_writes").one().n;
  }

  issueToken(ttlSeconds: number, nowMs: number): string {
    const token = `sbx_at_${randomHex()}`;
    this.sql.exec("DELETE FROM fleet_tokens WHERE expires_at <= ?", nowMs);
    this.sql.exec("INSERT INTO fleet_tokens (token, expires_at) VALUES (?, ?)", token, nowMs + ttlSeconds * 1000);
    return token;
  }

  tokenIsLive(token: string, nowMs: number): boolean {
    return this.sql.exec("SELECT 1 FROM fleet_tokens WHERE token = ? AND expires_at > ?", token, nowMs).toArray().length > 0;
  }

  // Every issued token stops working at once, as when a provider rotates its signing keys.
  // False when an assertion with this jti was taken already and has not expired.
  takeAssertion(jti: string, expiresAtMs: number, nowMs: number): boolean {
    this.sql.exec("DELETE FROM fleet_assertions WHERE expires_at <= ?", nowMs);
    if (this.sql.exec("SELECT 1 FROM fleet_assertions WHERE jti = ?", jti).toArray().length > 0) return false;
    this.sql.exec("INSERT INTO fleet_assertions (jti, expires_at) VALUES (?, ?)", jti, expiresAtMs);
    return true;
  }

  // A refresh grant: the token's fate and, with rotation, the one that replaces it. A spent token sent again is
  // taken as stolen: every refresh token of the grant is revoked.
  useRefreshToken(
    token: string,
    knobToken: string | undefined,
    rotate: boolean,
  ): { outcome: "ok"; next: string | null } | { outcome: "unknown" | "revoked" | "reused" } {
    return this.transaction(() => {
      const row = this.sql.exec<{ state: string }>("SELECT state FROM fleet_refresh_tokens WHERE token = ?", token).toArray()[0];
      const state = row?.state ?? (token === knobToken ? "live" : "unknown");
      if (state === "unknown") return { outcome: "unknown" as const };
      if (state === "revoked") return { outcome: "revoked" as const };
      if (state === "spent") {
        this.sql.exec("UPDATE fleet_refresh_tokens SET state = 'revoked'");
        return { outcome: "reused" as const };
      }
      if (!rotate) return { outcome: "ok" as const, next: null };
      const next = `sbx_rt_${randomHex()}`;
      this.sql.exec("INSERT OR REPLACE INTO fleet_refresh_tokens (token, state) VALUES (?, 'spent')", token);
      this.sql.exec("INSERT INTO fleet_refresh_tokens (token, state) VALUES (?, 'live')", next);
      return { outcome: "ok" as const, next };
    });
  }

  issueAuthorizationCode(grant: { client_id: string; redirect_uri: string; challenge: string }, ttlMs: number, nowMs: number): string {
    const code = `sbx_code_${randomHex()}`;
    this.sql.exec("DELETE FROM fleet_auth_codes WHERE expires_at <= ?", nowMs);
    this.sql.exec(
      "INSERT INTO fleet_auth_codes (code, client_id, redirect_uri, challenge, expires_at) VALUES (?, ?, ?, ?, ?)",
      code,
      grant.client_id,
      grant.redirect_uri,
      grant.challenge,
      nowMs + ttlMs,
    );
    return code;
  }

  // Taken once, whether or not the redemption then matches.
  takeAuthorizationCode(code: string, nowMs: number): { client_id: string; redirect_uri: string; challenge: string } | null {
    const row = this.sql
      .exec<{ client_id: string; redirect_uri: string; challenge: string; expires_at: number }>(
        "DELETE FROM fleet_auth_codes WHERE code = ? RETURNING client_id, redirect_uri, challenge, expires_at",
        code,
      )
      .toArray()[0];
    return row === undefined || row.expires_at <= nowMs ? null : { client_id: row.client_id, redirect_uri: row.redirect_uri, challenge: row.challenge };
  }

  issueStsSession(ttlMs: number, nowMs: number): { access_key_id: string; secret: string; session_token: string; expires_at: number } {
    const session = {
      access_key_id: `ASIA${randomHex().slice(0, 16).toUpperCase()}`,
      secret: randomHex() + randomHex().slice(0, 8),
      session_token: `IQoJb3JpZ2luX2Vj${randomHex()}${randomHex()}`,
      expires_at: nowMs + ttlMs,
    };
    this.sql.exec("DELETE FROM fleet_sts_sessions WHERE expires_at <= ?", nowMs);
    this.sql.exec(
      "INSERT INTO fleet_sts_sessions (access_key_id, secret, session_token, expires_at) VALUES (?, ?, ?, ?)",
      session.access_key_id,
      session.secret,
      session.session_token,
      session.expires_at,
    );
    return session;
  }

  stsSession(accessKeyId: string, nowMs: number): { secret: string; session_token: string } | null {
    return (
      this.sql
        .exec<{ secret: string; session_token: string }>(
          "SELECT secret, session_token FROM fleet_sts_sessions WHERE access_key_id = ? AND expires_at > ?",
          accessKeyId,
          nowMs,
        )
        .toArray()[0] ?? null
    );
  }

  // A new grant's first refresh token.
  issueRefreshToken(): string {
    const token = `sbx_rt_${randomHex()}`;
    this.sql.exec("INSERT INTO fleet_refresh_tokens (token, state) VALUES (?, 'live')", token);
    return token;
  }

  // An authorization revoked by the person (or an admin) at the provider: no refresh token of it works again.
  revokeRefreshTokens(knobToken: string | undefined): number {
    if (knobToken !== undefined) this.sql.exec("INSERT OR IGNORE INTO fleet_refresh_tokens (token, state) VALUES (?, 'live')", knobToken);
    return this.sql.exec("UPDATE fleet_refresh_tokens SET state = 'revoked' WHERE state != 'revoked'").rowsWritten;
  }

  refreshTokenCounts(): Record<"live" | "spent" | "revoked", number> {
    const counts = { live: 0, spent: 0, revoked: 0 };
    for (const row of this.sql.exec<{ state: "live" | "spent" | "revoked"; n: number }>("SELECT state, COUNT(*) AS n FROM fleet_refresh_tokens GROUP BY state"))
      counts[row.state] = row.n;
    return counts;
  }

  revokeTokens(): number {
    return this.sql.exec("DELETE FROM fleet_tokens").rowsWritten;
  }

  readConfig(): SandboxConfig | null {
    const raw = this.meta("config");
    return raw === null ? null : (JSON.parse(raw) as SandboxConfig);
  }

  writeConfig(config: SandboxConfig): void {
    this.setMeta("config", JSON.stringify(config));
  }

  private bodies(cursor: Iterable<{ body: string }>): FleetDevice[] {
    return [...cursor].map((row) => JSON.parse(row.body) as FleetDevice);
  }

  private meta(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM fleet_meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec("INSERT INTO fleet_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
  }
}

function randomHex(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}
