import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deleteConnection } from "../../../worker/ledger/connections";
import { makeConnection, makeCredential } from "../factories";

async function latestOf(connectionId: string): Promise<number> {
  const row = await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM latest_outcomes WHERE connection_id = ?1").bind(connectionId).first<{ n: number }>();
  return row?.n ?? 0;
}

async function recordLatest(connectionId: string, serials: string[]): Promise<void> {
  await env.LEDGER.batch(
    serials.map((serial) =>
      env.LEDGER.prepare("INSERT INTO latest_outcomes (connection_id, serial, action, job_id, run_id, at) VALUES (?1, ?2, 'failed', 'job_x', 'run_x', 1)").bind(
        connectionId,
        serial,
      ),
    ),
  );
}

describe("deleting a connection", () => {
  it("drops the latest outcome of each of its serials and leaves other connections' alone", async () => {
    const credential = await makeCredential();
    const gone = await makeConnection(credential);
    const kept = await makeConnection(credential, { position: 2 });
    await recordLatest(gone.id, ["SN-1", "SN-2"]);
    await recordLatest(kept.id, ["SN-1"]);

    expect(await deleteConnection(env.LEDGER, gone.id)).toBe(true);

    expect(await latestOf(gone.id)).toBe(0);
    expect(await latestOf(kept.id)).toBe(1);
  });
});
