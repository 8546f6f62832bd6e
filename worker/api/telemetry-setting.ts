import type { Env } from "../env";
import { encryptSecret, SECRET_BINDINGS, secretHint } from "../auth/secrets";
import { outboundUrlPolicy } from "../auth/url-safety";
import { DEFAULT_SERVICE_NAME, type TelemetryInput } from "../schemas/settings";
import type { StoredTelemetry } from "../ledger/config-settings";
import { validationError } from "./errors";
import { outboundUrlIssues } from "./outbound-url-checks";

/** The telemetry section as stored: the endpoint checked, each header value sealed (or the stored one kept). */
export async function sealTelemetry(env: Env, input: TelemetryInput, current: StoredTelemetry): Promise<StoredTelemetry> {
  if (input.endpoint !== null) {
    const issues = outboundUrlIssues([["telemetry.endpoint", input.endpoint]], outboundUrlPolicy(env));
    if (issues.length > 0) throw validationError(issues);
  }
  const stored = new Map(current.headers.map((header) => [header.name.toLowerCase(), header]));
  const headers: StoredTelemetry["headers"] = [];
  for (const [index, header] of (input.headers ?? current.headers.map(({ name }) => ({ name, value: undefined }))).entries()) {
    if (header.value !== undefined) {
      const sealed = await encryptSecret(env, header.value, SECRET_BINDINGS.telemetryHeader(header.name));
      headers.push({ name: header.name, value_ciphertext: sealed, value_hint: secretHint(header.value) });
      continue;
    }
    const kept = stored.get(header.name.toLowerCase());
    if (kept === undefined) throw validationError([{ path: `telemetry.headers[${index}].value`, message: "required for a new header", in: "body" }]);
    headers.push({ ...kept, name: header.name });
  }
  return { endpoint: input.endpoint, service_name: input.service_name ?? current.service_name ?? DEFAULT_SERVICE_NAME, headers };
}
