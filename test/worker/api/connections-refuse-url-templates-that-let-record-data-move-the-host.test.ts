import { describe, expect, it } from "vitest";
import type { Connection } from "../../../worker/schemas/types";
import { call, createConnection, createCredential, errorOf, makeConfig, SANDBOX, unique } from "./config-api";

// A placeholder before the path begins would let a destination record's value ({id} = ".evil.example")
// choose the host that receives the credential's headers.

describe("saving a connection whose URL template could move the host", () => {
  it.each([
    ["update", "http://localhost:8787{id}"],
    ["update", "https:{id}.example.com/devices"],
    ["update", "https:/{id}"],
    ["update", "https:\\\\{id}/devices"],
    ["update", "http://localhost:8787\\{id}"],
    ["fetch", "https://{serial}/devices"],
  ] as const)("refuses the %s template %j with a 400 naming the field", async (part, template) => {
    const credential = await createCredential();
    const config = makeConfig();
    if (part === "update") config.update = { ...config.update, url_template: template };
    else config.fetch = { mode: "per_serial", url_template: template, serial_path: "serial" };
    const res = await call("POST", "/api/connections", { body: { credential_id: credential.id, name: unique("Moving"), config } });
    expect(res.status).toBe(400);
    const error = errorOf(res);
    expect(error.code).toBe("validation_failed");
    expect(error.details?.map((d) => d.path)).toContain(`config.${part}.url_template`);
  });

  it("refuses the same change to a saved connection and keeps its contract", async () => {
    const connection = await createConnection((await createCredential()).id);
    const update = { method: "PATCH", url_template: `${SANDBOX.replace("/sandbox", "")}{id}`, formatter: "json" };
    const res = await call("PATCH", `/api/connections/${connection.id}`, { body: { config: { update } } });
    expect(res.status).toBe(400);
    expect(errorOf(res).details?.map((d) => d.path)).toContain("config.update.url_template");
    const after = await call<Connection>("GET", `/api/connections/${connection.id}`);
    expect(after.body.config.update.url_template).toBe(connection.config.update.url_template);
  });
});
