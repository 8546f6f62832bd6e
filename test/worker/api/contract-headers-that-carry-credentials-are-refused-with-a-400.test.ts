import { describe, expect, it } from "vitest";
import type { Connection } from "../../../worker/schemas/types";
import { call, createConnection, createCredential, errorOf, makeConfig, unique } from "./config-api";

describe("contract headers that carry credentials", () => {
  it("are refused when a connection is created, naming the header and the credential", async () => {
    const credential = await createCredential();
    const config = makeConfig();
    const res = await call("POST", "/api/connections", {
      body: {
        credential_id: credential.id,
        name: unique("Connection"),
        config: { ...config, update: { ...config.update, headers: { Authorization: "Bearer abc" } } },
      },
    });
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe("validation_failed");
    expect(errorOf(res).details).toEqual([
      expect.objectContaining({ path: "config.update.headers.Authorization", message: expect.stringMatching(/credential/) }),
    ]);
    expect(JSON.stringify(res.body)).not.toContain("Bearer abc");
  });

  it("are refused when a contract is changed, and the connection stays as it was", async () => {
    const connection = await createConnection((await createCredential()).id);
    const fetch = { ...connection.config.fetch, headers: { "X-Api-Key": "k-123" } };
    const res = await call("PATCH", `/api/connections/${connection.id}`, { body: { config: { fetch } } });
    expect(res.status).toBe(400);
    expect(errorOf(res).details).toEqual([expect.objectContaining({ path: "config.fetch.headers.X-Api-Key" })]);
    const after = await call<Connection>("GET", `/api/connections/${connection.id}`);
    expect(after.body.config.fetch.headers).toEqual({});
  });
});
