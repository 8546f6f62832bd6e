import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ConnectionSummary } from "../../../worker/schemas/types";
import { call, createConnection, createCredential, errorOf, recordD1 } from "./config-api";

async function credentialWithConnections(count: number) {
  const credential = await createCredential();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await createConnection(credential.id)).id);
  return { credential, ids };
}

async function positions(credentialId: string): Promise<Array<[string, number]>> {
  const { results } = await env.LEDGER.prepare("SELECT id, position FROM connections WHERE credential_id = ?1 ORDER BY position")
    .bind(credentialId)
    .all<{ id: string; position: number }>();
  return results.map((r) => [r.id, r.position]);
}

describe("POST /api/credentials/{id}/connections/order", () => {
  it("sets positions 1..n in the given order, in one batch", async () => {
    const { credential, ids } = await credentialWithConnections(4);
    const order = [ids[2]!, ids[0]!, ids[3]!, ids[1]!];
    const recording = recordD1(env.LEDGER);

    const res = await call<{ data: ConnectionSummary[] }>("POST", `/api/credentials/${credential.id}/connections/order`, {
      body: { connection_ids: order },
      env: { ...env, LEDGER: recording.db },
    });

    expect(res.status).toBe(200);
    expect(res.body.data.map((c) => [c.id, c.position])).toEqual(order.map((id, i) => [id, i + 1]));
    expect(await positions(credential.id)).toEqual(order.map((id, i) => [id, i + 1]));
    const writes = recording.batches.filter((batch) => batch.some((sql) => sql.includes("SET position")));
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(4);
    expect(recording.singles.filter((sql) => sql.includes("SET position"))).toEqual([]);
  });

  it("keeps the order dense after a delete and a create", async () => {
    const { credential, ids } = await credentialWithConnections(3);
    await call("DELETE", `/api/connections/${ids[0]}`);
    const added = await createConnection(credential.id);
    expect(added.position).toBe(3);
    await call("POST", `/api/credentials/${credential.id}/connections/order`, { body: { connection_ids: [added.id, ids[2], ids[1]] } });
    expect(await positions(credential.id)).toEqual([
      [added.id, 1],
      [ids[2]!, 2],
      [ids[1]!, 3],
    ]);
  });

  it.each([
    { name: "one missing", pick: (ids: string[], _other: string) => [ids[0]!, ids[1]!], path: "connection_ids" },
    { name: "one twice", pick: (ids: string[], _other: string) => [ids[0]!, ids[1]!, ids[2]!, ids[0]!], path: "connection_ids[3]" },
    { name: "another credential's", pick: (ids: string[], other: string) => [ids[0]!, ids[1]!, ids[2]!, other], path: "connection_ids[3]" },
    { name: "unknown", pick: (ids: string[], _other: string) => [ids[0]!, ids[1]!, "conn_nope"], path: "connection_ids[2]" },
  ])("refuses a list with $name and leaves the order alone", async ({ pick, path }) => {
    const { credential, ids } = await credentialWithConnections(3);
    const other = await createConnection((await createCredential()).id);
    const before = await positions(credential.id);

    const res = await call("POST", `/api/credentials/${credential.id}/connections/order`, { body: { connection_ids: pick(ids, other.id) } });

    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe("validation_failed");
    expect(errorOf(res).details!.map((d) => d.path)).toContain(path);
    expect(await positions(credential.id)).toEqual(before);
  });

  it("answers 404 for an unknown credential", async () => {
    const res = await call("POST", "/api/credentials/cred_nope/connections/order", { body: { connection_ids: [] } });
    expect(res.status).toBe(404);
  });
});
