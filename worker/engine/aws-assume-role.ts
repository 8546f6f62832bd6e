import { AwsV4Signer } from "aws4fetch";
import { EngineError, excerpt } from "./errors";
import { REDACTED, createRedactor } from "./redactor";
import { postWithRetries, tries, type Answered, type TokenGrant, type TokenRequestOptions } from "./token-request";
import { parseXml } from "./xml";

// A role in another account that an IAM user may assume (its trust policy names the user, and may ask for an
// external id): what AWS recommends for giving a vendor access, instead of a long-lived key in the vendor's hands.
export interface AssumableRole {
  role_arn: string;
  external_id?: string;
  session_name: string;
  // The STS endpoint; https://sts.<region>.amazonaws.com/ when not given.
  sts_url?: string;
}

export interface AssumedKeys {
  access_key_id: string;
  secret_access_key: string;
  session_token: string;
  expires_at: number;
}

export interface RoleAssumer {
  access_key_id: string;
  secret_access_key: string;
  region: string;
}

// An hour: what a role allows unless its maximum session duration was lowered, which AWS answers with a
// ValidationError naming it.
const SESSION_SECONDS = 3600;
const STS_VERSION = "2011-06-15";

export function stsUrlOf(role: AssumableRole, region: string): string {
  return role.sts_url ?? `https://sts.${region}.amazonaws.com/`;
}

// STS's global endpoint signs for us-east-1; a regional one (the default) for its own region.
function signingRegion(url: string, region: string): string {
  return URL.parse(url)?.hostname === "sts.amazonaws.com" ? "us-east-1" : region;
}

// AssumeRole (a signed form POST): the role's temporary keys, good for an hour. Signed anew for each attempt.
export async function assumeRole(user: RoleAssumer, role: AssumableRole, options: TokenRequestOptions): Promise<AssumedKeys> {
  const url = stsUrlOf(role, user.region);
  const form = new URLSearchParams({
    Action: "AssumeRole",
    Version: STS_VERSION,
    RoleArn: role.role_arn,
    RoleSessionName: role.session_name,
    DurationSeconds: String(SESSION_SECONDS),
    ...(role.external_id ? { ExternalId: role.external_id } : {}),
  });
  const make = async (): Promise<TokenGrant> => {
    const headers = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
    const signer = new AwsV4Signer({
      method: "POST",
      url,
      headers,
      body: form.toString(),
      accessKeyId: user.access_key_id,
      secretAccessKey: user.secret_access_key,
      region: signingRegion(url, user.region),
      service: "sts",
      datetime: new Date(options.runtime.now()).toISOString().replace(/[:-]|\.\d{3}/g, ""),
    });
    const signed = (await signer.sign()).headers;
    return {
      token_url: url,
      form,
      headers: { ...headers, authorization: signed.get("authorization")!, "x-amz-date": signed.get("x-amz-date")! },
      secrets: [user.secret_access_key],
      hint: "Check that the role's trust policy lets this IAM user assume it (with the external id, when it asks for one) and that the user may call sts:AssumeRole",
      resend: "any",
      what: "AWS STS",
      maskAnswer: maskAssumedKeys,
    };
  };
  return postWithRetries(make, options, keysOf);
}

function keysOf({ status, text }: Answered, grant: TokenGrant, where: string, attempt: number): AssumedKeys {
  const scrub = createRedactor(() => grant.secrets).redact;
  let body: Record<string, unknown>;
  try {
    body = parseXml(text);
  } catch {
    throw new EngineError({
      code: status >= 200 && status < 300 ? "unparseable_response" : "auth_failed",
      http_status: status,
      message: scrub(`${where} returned ${status}${tries(attempt)}, not the XML STS answers with${excerpt(text)}`),
      hint: "Check the credential's STS endpoint: leave it empty for the region's own",
    });
  }
  if (status < 200 || status >= 300) {
    const error = pick(body, ["ErrorResponse", "Error"]);
    const code = textOf(error, "Code") ?? String(status);
    const message = textOf(error, "Message") ?? "";
    throw new EngineError({
      code: "auth_failed",
      http_status: status,
      message: scrub(`${where} refused AssumeRole${tries(attempt)} (${code})${message ? `: ${message}` : ""}`),
      hint: grant.hint,
    });
  }
  const credentials = pick(body, ["AssumeRoleResponse", "AssumeRoleResult", "Credentials"]);
  const keys = {
    access_key_id: textOf(credentials, "AccessKeyId"),
    secret_access_key: textOf(credentials, "SecretAccessKey"),
    session_token: textOf(credentials, "SessionToken"),
    expires_at: Date.parse(textOf(credentials, "Expiration") ?? ""),
  };
  if (!keys.access_key_id || !keys.secret_access_key || !keys.session_token || !Number.isFinite(keys.expires_at)) {
    throw new EngineError({
      code: "invalid_response_shape",
      http_status: status,
      message: `${where} answered AssumeRole without the role's keys and their expiration`,
      hint: "Check the credential's STS endpoint: leave it empty for the region's own",
    });
  }
  return keys as AssumedKeys;
}

function pick(value: unknown, path: string[]): unknown {
  let at = value;
  for (const key of path) at = at !== null && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

function textOf(element: unknown, name: string): string | undefined {
  const value = pick(element, [name]);
  const text = typeof value === "string" ? value : typeof pick(value, ["#text"]) === "string" ? (pick(value, ["#text"]) as string) : undefined;
  return text?.trim() || undefined;
}

// The temporary secret and session token never reach the request log, whatever the redactor knows yet.
function maskAssumedKeys(text: string): string {
  return text.replace(/(<(SecretAccessKey|SessionToken)>)[^<]*(<\/\2>)/g, `$1${REDACTED}$3`);
}
