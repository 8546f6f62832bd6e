import { decryptSecret, SECRET_BINDINGS } from "../auth/secrets";
import { checkOutboundUrl, outboundUrlPolicy } from "../auth/url-safety";
import type { Env } from "../env";
import { parseChannelConfig } from "./channel-config";
import type { ResolvedChannel } from "./render";

export interface StoredChannel {
  id: string;
  kind: ResolvedChannel["kind"];
  config_json: string;
  secret_ciphertext: string | null;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: number | null;
}

export class ChannelUnusableError extends Error {
  override readonly name = "ChannelUnusableError";
}

export const DEFAULT_PUBLIC_URL = "http://localhost:8787";

export function publicUrl(env: Pick<Env, "PUBLIC_URL">): string {
  return env.PUBLIC_URL?.trim() || DEFAULT_PUBLIC_URL;
}

// Decrypts just before a send; URLs are checked again because the deployment's policy may have
// changed since the channel was saved.
export async function resolveChannel(env: Env, stored: StoredChannel, now: number): Promise<ResolvedChannel> {
  const parsed = parseChannelConfig(stored.kind, stored.config_json);
  const policy = outboundUrlPolicy(env);
  const checkUrl = (url: string, what: string) => {
    const problem = checkOutboundUrl(url, policy);
    if (problem !== null) throw new ChannelUnusableError(`The ${what} is not allowed: ${problem}`);
  };
  const secret = async () => {
    if (stored.secret_ciphertext === null) throw new ChannelUnusableError("The channel has no stored secret; set it again.");
    return decryptSecret(env, stored.secret_ciphertext, SECRET_BINDINGS.alertChannel(stored.id));
  };

  switch (parsed.kind) {
    case "webhook": {
      checkUrl(parsed.config.url, "webhook URL");
      const secrets = [await secret()];
      const expires = stored.previous_secret_expires_at;
      if (stored.previous_secret_ciphertext !== null && expires !== null && expires > now) {
        secrets.push(await decryptSecret(env, stored.previous_secret_ciphertext, SECRET_BINDINGS.alertChannelPrevious(stored.id)));
      }
      return { kind: "webhook", url: parsed.config.url, secrets };
    }
    case "slack": {
      const url = await secret();
      checkUrl(url, "Slack webhook URL");
      return { kind: "slack", url };
    }
    case "pagerduty":
      checkUrl(parsed.config.events_url, "PagerDuty events URL");
      return { kind: "pagerduty", eventsUrl: parsed.config.events_url, routingKey: await secret(), severity: parsed.config.severity };
    case "email":
      return { kind: "email", from: parsed.config.from, fromName: parsed.config.from_name, to: parsed.config.to };
  }
}
