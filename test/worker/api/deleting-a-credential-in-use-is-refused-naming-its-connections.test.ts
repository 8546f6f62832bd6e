import { describe, expect, it } from "vitest";
import type { Credential } from "../../../worker/schemas/types";
import { call, createConnection, createCredential, errorOf } from "./config-api";

describe("DELETE /api/credentials/{id}", () => {
  it("is refused with 409 naming every connection that uses the credential, and deletes nothing", async () => {
    const credential = await createCredential();
    const first = await createConnection(credential.id, { name: "Device status (JSON) for delete" });
    const second = await createConnection(credential.id, { name: "Device status (XML) for delete" });

    const res = await call("DELETE", `/api/credentials/${credential.id}`);
    expect(res.status).toBe(409);
    const error = errorOf(res);
    expect(error.code).toBe("credential_in_use");
    expect(error.message).toBe(
      'The credential is used by 2 connections: "Device status (JSON) for delete", "Device status (XML) for delete". ' +
        "Delete those connections first, or edit the credential instead.",
    );
    expect(error.details).toEqual([
      { path: "connections", message: `used by "${first.name}" (${first.id})` },
      { path: "connections", message: `used by "${second.name}" (${second.id})` },
    ]);
    expect((await call<Credential>("GET", `/api/credentials/${credential.id}`)).body.connection_count).toBe(2);

    await call("DELETE", `/api/connections/${first.id}`);
    const one = await call("DELETE", `/api/credentials/${credential.id}`);
    expect(errorOf(one).message).toMatch(/^The credential is used by 1 connection: "Device status \(XML\) for delete"\. Delete that connection first/);

    await call("DELETE", `/api/connections/${second.id}`);
    expect((await call("DELETE", `/api/credentials/${credential.id}`)).status).toBe(204);
  });

  it("answers 404 for a credential that does not exist and needs the admin role", async () => {
    expect((await call("DELETE", "/api/credentials/cred_nope")).status).toBe(404);
    const credential = await createCredential();
    expect((await call("DELETE", `/api/credentials/${credential.id}`, { as: "operator" })).status).toBe(403);
  });
});
