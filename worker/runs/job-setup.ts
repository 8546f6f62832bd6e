import { contractUrls, unsafeUrlError, type OutboundUrlPolicy } from "../auth/url-safety";
import { validateConnectionConfig, type ConnectionConfig } from "../engine/contracts";
import { EngineError } from "../engine/errors";
import { errorMessage } from "../../shared/lang";
import type { JobError } from "../ledger/run-rows";
import type { RunConnectionRow } from "../ledger/run-scope";

// Whether a job can start with its connection as it is now, and if not, the error it fails with. Pure: the
// caller reads the connection and tries the credential.

export type ConnectionCheck = { ok: true; config: ConnectionConfig } | { ok: false; error: JobError; version: number };

export function checkConnection(
  connection: Pick<RunConnectionRow, "credential_id" | "config_json" | "version"> | null,
  credentialId: string,
  policy: OutboundUrlPolicy,
): ConnectionCheck {
  if (connection === null) {
    return refused(
      {
        code: "connection_missing",
        http_status: null,
        message: "The connection was deleted before its job started",
        hint: "Rerun to use the remaining connections",
      },
      0,
    );
  }
  if (connection.credential_id !== credentialId) {
    return refused(
      {
        code: "connection_moved",
        http_status: null,
        message: "The connection moved to another credential before its job started",
        hint: "Start a new run for its credential",
      },
      connection.version,
    );
  }
  const validated = validateConnectionConfig(JSON.parse(connection.config_json));
  if (!validated.ok) {
    const issues = validated.issues.map((i) => `${i.path || "(config)"}: ${i.message}`).join("; ");
    return refused(
      {
        code: "invalid_contract",
        http_status: null,
        message: `The connection's contracts are invalid: ${issues}`,
        hint: "Fix the contracts in the connection editor, then rerun",
      },
      connection.version,
    );
  }
  // Checked again under this deployment's rules, which may be stricter than where the contracts were saved.
  const unsafe = unsafeUrlError(contractUrls(validated.value), policy);
  if (unsafe !== null) return refused(unsafe.toJSON(), connection.version);
  return { ok: true, config: validated.value };
}

// The credential could not be loaded or its token fetched: an engine error keeps its own code and hint.
export function credentialError(error: unknown): JobError {
  if (error instanceof EngineError) return error.toJSON();
  return {
    code: "auth_failed",
    http_status: null,
    message: `The credential cannot be used: ${errorMessage(error)}`,
    hint: "Check the credential and the deployment's SECRETS_KEY",
  };
}

function refused(error: JobError, version: number): ConnectionCheck {
  return { ok: false, error, version };
}
