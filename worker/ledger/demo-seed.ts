import { DEMO_CREDENTIAL, demoConnections, demoSandboxBaseUrl } from "../sandbox/demo-connections";
import { demoSourceDevices } from "../sandbox/demo-data";

export const DEMO_CREDENTIAL_ID = DEMO_CREDENTIAL.id;

// D1 allows 100 bound parameters per statement: 4 per dataset row.
const ROWS_PER_INSERT = 25;

export interface DemoSeedOrigin {
  // The request that triggered the seed: the demo URLs take its origin when it is a loopback address.
  requestUrl?: string;
  publicUrl?: string;
}

/**
 * Creates the demo credential, its connections (their URLs on the address the dashboard is served from)
 * and their 500-device dataset. Fixed ids and INSERT OR IGNORE make it idempotent: re-running never duplicates or overwrites
 * what an operator has since changed.
 */
export async function seedDemo(db: D1Database, now: number, origin: DemoSeedOrigin = {}): Promise<void> {
  const done = await db.prepare("SELECT 1 FROM settings WHERE key = 'demo.seeded_at'").first();
  if (done) return;
  const connections = demoConnections(demoSandboxBaseUrl(origin.requestUrl ?? "", origin.publicUrl));

  const statements: D1PreparedStatement[] = [
    db
      .prepare(
        `INSERT OR IGNORE INTO credentials (id, name, scheme, config_json, created_at, updated_at)
         VALUES (?1, ?2, ?3, '{}', ?4, ?4)`,
      )
      .bind(DEMO_CREDENTIAL.id, DEMO_CREDENTIAL.name, DEMO_CREDENTIAL.scheme, now),
  ];
  for (const conn of connections) {
    const snapshot = JSON.stringify({
      name: conn.name,
      enabled: true,
      dry_run: true,
      debug: false,
      schedule: conn.schedule,
      config: conn.config,
    });
    statements.push(
      db
        .prepare(
          `INSERT OR IGNORE INTO connections
             (id, credential_id, name, position, enabled, dry_run, debug, schedule, config_json, version, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, 1, 1, 0, ?5, ?6, 1, ?7, ?7)`,
        )
        .bind(conn.id, DEMO_CREDENTIAL.id, conn.name, conn.position, conn.schedule, JSON.stringify(conn.config), now),
      db
        .prepare(
          `INSERT OR IGNORE INTO connection_versions (connection_id, version, snapshot_json, changed_by, changed_at, change_note)
           VALUES (?1, 1, ?2, 'demo-seed', ?3, 'Created by the demo seed')`,
        )
        .bind(conn.id, snapshot, now),
    );
  }

  const devices = demoSourceDevices();
  for (const conn of connections) {
    for (let i = 0; i < devices.length; i += ROWS_PER_INSERT) {
      const chunk = devices.slice(i, i + ROWS_PER_INSERT);
      const values = chunk.map(() => "(?, ?, ?, ?)").join(", ");
      const params = chunk.flatMap((d) => [conn.id, d.serial, JSON.stringify(d), now]);
      statements.push(db.prepare(`INSERT OR IGNORE INTO dataset_records (connection_id, serial, record_json, updated_at) VALUES ${values}`).bind(...params));
    }
  }
  statements.push(
    db
      .prepare("INSERT OR IGNORE INTO settings (key, value_json, updated_at) VALUES ('demo.seeded_at', ?1, ?2)")
      .bind(JSON.stringify(new Date(now).toISOString()), now),
  );
  // One batch is one transaction: the demo appears whole or not at all.
  await db.batch(statements);
}
