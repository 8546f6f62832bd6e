import { describe, expect, it } from "vitest";
import { EngineError } from "../../../worker/engine/errors";
import { checkConnection, credentialError } from "../../../worker/runs/job-setup";
import { makeConfig } from "./job-factories";

const DEV = { production: false, sandbox: true };
const PROD = { production: true, sandbox: false };
const connection = (config: unknown = makeConfig(), overrides: { credential_id?: string; version?: number } = {}) => ({
  credential_id: "cred_1",
  config_json: JSON.stringify(config),
  version: 4,
  ...overrides,
});

describe("a job's connection, checked as it starts", () => {
  it("passes with its validated contracts", () => {
    expect(checkConnection(connection(), "cred_1", DEV)).toEqual({ ok: true, config: makeConfig() });
  });

  it("fails the job when it was deleted or moved to another credential", () => {
    expect(checkConnection(null, "cred_1", DEV)).toMatchObject({
      ok: false,
      version: 0,
      error: { code: "connection_missing", hint: "Rerun to use the remaining connections" },
    });
    expect(checkConnection(connection(undefined, { credential_id: "cred_2" }), "cred_1", DEV)).toMatchObject({
      ok: false,
      version: 4,
      error: { code: "connection_moved", message: "The connection moved to another credential before its job started" },
    });
  });

  it("fails the job naming each invalid field of its contracts", () => {
    const check = checkConnection(connection(makeConfig("dataset", (c) => void (c.limits.concurrency = 0))), "cred_1", DEV);
    expect(check).toMatchObject({ ok: false, error: { code: "invalid_contract", hint: "Fix the contracts in the connection editor, then rerun" } });
    expect(!check.ok && check.error.message).toMatch(/^The connection's contracts are invalid: limits\.concurrency: /);
  });

  it("fails the job when this deployment may not call its URLs", () => {
    // The demo points at the loopback sandbox, which production rules refuse.
    expect(checkConnection(connection(), "cred_1", PROD)).toMatchObject({ ok: false, version: 4, error: { code: "unsafe_url" } });
  });
});

describe("a credential that cannot be used", () => {
  it("fails the job with the engine's error as it is, or as auth_failed with the reason", () => {
    const engine = new EngineError({ code: "unexpected_status", http_status: 400, message: "The token endpoint answered 400", hint: "Check the client id" });
    expect(credentialError(engine)).toEqual(engine.toJSON());
    expect(credentialError(new Error("cannot decrypt"))).toEqual({
      code: "auth_failed",
      http_status: null,
      message: "The credential cannot be used: cannot decrypt",
      hint: "Check the credential and the deployment's SECRETS_KEY",
    });
  });
});
