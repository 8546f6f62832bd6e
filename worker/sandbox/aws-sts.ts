import { Hono, type Context } from "hono";
import { sigv4Issue } from "./aws-sigv4";
import type { FleetStore } from "./fleet-store";
import type { SandboxConfig } from "./sandbox-config";
import { escapeXmlText } from "../engine/xml";

type SigV4Knob = NonNullable<SandboxConfig["aws_sigv4"]>;

const STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";
const DEFAULT_SESSION_S = 3600;

// AWS STS's AssumeRole for the aws_sigv4 knob's key: the call signed for service sts, the role and external id the
// knob names, answered in STS's XML with temporary keys that the destination then takes.
export function createStsRoutes(store: FleetStore, config: () => SandboxConfig, nowMs: () => number): Hono {
  const app = new Hono();
  app.post("/", async (c) => {
    store.bump("token_requests");
    const knob = config().aws_sigv4;
    if (knob?.role_arn === undefined) return stsError(c, 403, "AccessDenied", "no role to assume: set aws_sigv4.role_arn");
    const body = await c.req.text();
    const refused = await sigv4Issue(c.req.raw, body, { ...knob, service: "sts" }, nowMs());
    if (refused !== null) return stsError(c, 403, refused.startsWith("The security token") ? "InvalidClientTokenId" : "SignatureDoesNotMatch", refused);
    const form = new URLSearchParams(body);
    if (form.get("Action") !== "AssumeRole") return stsError(c, 400, "InvalidAction", `Could not find operation ${form.get("Action") ?? ""}`);
    const user = `arn:aws:iam::000000000000:user/${knob.access_key_id}`;
    const notAuthorized = `User: ${user} is not authorized to perform: sts:AssumeRole on resource: ${form.get("RoleArn") ?? ""}`;
    if (form.get("RoleArn") !== knob.role_arn) return stsError(c, 403, "AccessDenied", notAuthorized);
    // A trust policy with sts:ExternalId refuses a call without it, or with another one, in the same words.
    if (knob.external_id !== undefined && form.get("ExternalId") !== knob.external_id) return stsError(c, 403, "AccessDenied", notAuthorized);
    const name = form.get("RoleSessionName") ?? "";
    if (!/^[\w+=,.@-]{2,64}$/.test(name)) return stsError(c, 400, "ValidationError", "RoleSessionName must be 2-64 characters of [\\w+=,.@-]");
    const session = store.issueStsSession((knob.session_ttl_s ?? DEFAULT_SESSION_S) * 1000, nowMs());
    c.header("content-type", "text/xml");
    return c.body(
      `<AssumeRoleResponse xmlns="${STS_XMLNS}">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <AssumedRoleId>AROASANDBOX:${name}</AssumedRoleId>
      <Arn>${knob.role_arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")}/${name}</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${session.access_key_id}</AccessKeyId>
      <SecretAccessKey>${session.secret}</SecretAccessKey>
      <SessionToken>${session.session_token}</SessionToken>
      <Expiration>${new Date(session.expires_at).toISOString()}</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata>
</AssumeRoleResponse>`,
    );
  });
  app.all("/", (c) => {
    c.header("Allow", "POST");
    return stsError(c, 405, "InvalidAction", `${c.req.method} is not allowed; use POST`);
  });
  return app;
}

// The destination's check when the knob names a role: only the role's temporary keys get in, with their token.
export async function assumedRoleIssue(request: Request, body: string, knob: SigV4Knob, store: FleetStore, nowMs: number): Promise<string | null> {
  const keyId = /Credential=([^/]+)\//.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  const session = store.stsSession(keyId, nowMs);
  if (session === null) return "The security token included in the request is invalid.";
  if (request.headers.get("x-amz-security-token") !== session.session_token) return "The security token included in the request is invalid.";
  return sigv4Issue(request, body, { ...knob, access_key_id: keyId, secret_access_key: session.secret }, nowMs);
}

function stsError(c: Context, status: 400 | 403 | 405, code: string, message: string): Response {
  c.header("content-type", "text/xml");
  return c.body(
    `<ErrorResponse xmlns="${STS_XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXmlText(message)}</Message></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`,
    status,
  );
}
