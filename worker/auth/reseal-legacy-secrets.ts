import type { Env } from "../env";
import { listLegacySecrets, replaceLegacySecret, type SecretField } from "../ledger/legacy-secrets";
import { decryptSecret, encryptSecret, SECRET_BINDINGS } from "./secrets";
import { errorMessage } from "../../shared/lang";
import { log } from "../observability/log";

const BINDING_OF: Record<SecretField, (id: string) => string> = {
  credential: SECRET_BINDINGS.credential,
  alert_channel: SECRET_BINDINGS.alertChannel,
  alert_channel_previous: SECRET_BINDINGS.alertChannelPrevious,
  log_export: () => SECRET_BINDINGS.logExport(),
};

export interface ResealResult {
  resealed: number;
  failed: number;
}

/**
 * Rewrites up to `limit` secrets from the unbound v1 format to v2 (bound to their row and field). D1
 * migrations cannot run AES, so the minute tick calls this until none is left; it is idempotent, and a
 * v1 secret stays readable until then. One that cannot be decrypted (SECRETS_KEY changed) is logged and
 * left as it is: nothing is ever overwritten with less than it held.
 */
export async function resealLegacySecrets(env: Pick<Env, "LEDGER" | "SECRETS_KEY">, limit = 50): Promise<ResealResult> {
  const result: ResealResult = { resealed: 0, failed: 0 };
  for (const ref of await listLegacySecrets(env.LEDGER, limit)) {
    const binding = BINDING_OF[ref.field](ref.id);
    try {
      const plaintext = await decryptSecret(env, ref.ciphertext, binding);
      if (await replaceLegacySecret(env.LEDGER, ref, await encryptSecret(env, plaintext, binding))) result.resealed++;
    } catch (err) {
      result.failed++;
      log.error("secrets: cannot reseal a secret in the v2 format", { binding, error: errorMessage(err) });
    }
  }
  return result;
}
