import { AwsV4Signer } from "aws4fetch";
import type { SandboxConfig } from "./sandbox-config";
import { sha256Hex } from "../../shared/sha256";

type SigV4Knob = NonNullable<SandboxConfig["aws_sigv4"]>;

// AWS refuses a signature made more than 15 minutes before or after it arrives.
const MAX_SKEW_MS = 15 * 60_000;

// Checks a Signature V4 request as API Gateway does: the credential scope names the registered key, region and
// service, X-Amz-Date is within 15 minutes, and signing the request as it arrived (the headers it lists, the
// body it carries) with the registered secret gives the same signature. Null when it holds, otherwise why not.
export async function sigv4Issue(request: Request, body: string, knob: SigV4Knob, nowMs: number): Promise<string | null> {
  const header = request.headers.get("authorization") ?? "";
  const parts = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
    header,
  );
  if (parts === null) return "Authorization is not an AWS4-HMAC-SHA256 signature";
  const [, keyId, day, region, service, signedHeaders, signature] = parts as unknown as string[];
  if (keyId !== knob.access_key_id) return "The security token included in the request is invalid.";
  if (region !== knob.region || service !== knob.service) return `Credential should be scoped to a valid region and service (${knob.region}/${knob.service})`;
  const date = request.headers.get("x-amz-date") ?? "";
  const at = Date.parse(date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
  if (!Number.isFinite(at) || !date.startsWith(day!)) return "X-Amz-Date is missing or does not match the credential's date";
  if (Math.abs(nowMs - at) > MAX_SKEW_MS) return "Signature expired: X-Amz-Date is more than 15 minutes from now";
  const claimed = request.headers.get("x-amz-content-sha256");
  if (claimed === null && (knob.service === "aoss" || knob.service === "s3")) return `${knob.service} requires the x-amz-content-sha256 header`;
  if (claimed !== null && claimed !== "UNSIGNED-PAYLOAD" && claimed !== (await sha256Hex(body))) {
    return "The provided 'x-amz-content-sha256' header does not match what was computed.";
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders!.split(";")) {
    if (name === "host") continue;
    const value = request.headers.get(name);
    if (value === null) return `signed header ${name} is missing from the request`;
    headers[name] = value;
  }
  const expected = new AwsV4Signer({
    method: request.method,
    url: request.url,
    headers,
    body,
    accessKeyId: knob.access_key_id,
    secretAccessKey: knob.secret_access_key,
    region: knob.region,
    service: knob.service,
    datetime: date,
  });
  if (expected.signedHeaders !== signedHeaders) return "SignedHeaders does not list the request's signable headers";
  return (await expected.signature()) === signature
    ? null
    : "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.";
}
