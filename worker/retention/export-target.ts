import { AwsClient } from "aws4fetch";
import { decryptSecret, SECRET_BINDINGS } from "../auth/secrets";
import { checkOutboundUrl, outboundUrlPolicy } from "../auth/url-safety";
import { readBody } from "../engine/read-body";
import type { Env } from "../env";
import type { StoredLogExport } from "../ledger/config-settings";
import { errorMessage } from "../../shared/lang";
import { withDeadline } from "../../shared/deadline";
import { sha256Hex } from "../../shared/sha256";

/** Where a day's export files go: an R2 bucket binding or an S3-compatible bucket. */
export interface ExportTarget {
  /** e.g. "r2:LOG_EXPORT/outbound-sync/" or "s3:https://s3.eu-west-1.amazonaws.com/bucket/outbound-sync/". */
  label: string;
  prefix: string;
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** Writes an archive object as it is, streamed from R2 (never held whole in memory when R2 has its MD5). */
  copy(key: string, object: R2ObjectBody): Promise<void>;
}

export class ExportTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportTargetError";
  }
}

export interface TargetOptions {
  /** The network for S3 requests; tests pass a fake S3. */
  fetch?: typeof fetch;
  /** An S3 PUT's time limit before its body's share (S3_PUT_TIMEOUT_MS). */
  timeoutMs?: number;
}

// An endpoint that never answers must not hold the retention run: a PUT gets this long, plus a second per MiB of
// its body (an upload slower than 1 MiB/s counts as stalled); the day is tried again by the next run.
export const S3_PUT_TIMEOUT_MS = 30_000;
const S3_PUT_MS_PER_MIB = 1_000;

/** Null when log export is off. A misconfigured target still resolves: its writes fail with the reason. */
export async function resolveExportTarget(env: Env, setting: StoredLogExport, options: TargetOptions = {}): Promise<ExportTarget | null> {
  switch (setting.target) {
    case "none":
      return null;
    case "r2":
      return r2Target(bindingNamed(env, setting.bucket_binding), setting.bucket_binding, setting.prefix);
    case "s3":
      return s3Target(env, setting, options.fetch ?? fetch, options.timeoutMs ?? S3_PUT_TIMEOUT_MS);
  }
}

/** How the target is named in log_exports rows and the API; changes when the destination changes. */
export function targetLabel(setting: StoredLogExport): string | null {
  switch (setting.target) {
    case "none":
      return null;
    case "r2":
      return `r2:${setting.bucket_binding}/${setting.prefix}`;
    case "s3":
      return `s3:${setting.endpoint.replace(/\/+$/, "")}/${setting.bucket}/${setting.prefix}`;
  }
}

function bindingNamed(env: Env, name: string): R2Bucket | null {
  const value = (env as unknown as Record<string, unknown>)[name];
  const looksLikeBucket = typeof value === "object" && value !== null && typeof (value as R2Bucket).put === "function";
  return looksLikeBucket ? (value as R2Bucket) : null;
}

export function r2Target(bucket: R2Bucket | null, bindingName: string, prefix: string): ExportTarget {
  const bound = (): R2Bucket => {
    if (bucket !== null) return bucket;
    throw new ExportTargetError(
      `No R2 bucket is bound as ${bindingName}: add [[r2_buckets]] binding = "${bindingName}" to wrangler.toml, or choose another target.`,
    );
  };
  return {
    label: targetLabel({ target: "r2", bucket_binding: bindingName, prefix }) ?? bindingName,
    prefix,
    async put(key, body, contentType) {
      await bound().put(key, body, { httpMetadata: { contentType } });
    },
    async copy(key, object) {
      const md5 = object.checksums.md5;
      // With the source's MD5, R2 refuses a copy whose bytes differ from what the archive holds.
      await bound().put(key, object.body, {
        httpMetadata: { contentType: contentTypeOf(object) },
        ...(object.customMetadata ? { customMetadata: object.customMetadata } : {}),
        ...(md5 ? { md5 } : {}),
      });
    },
  };
}

function contentTypeOf(object: R2Object): string {
  return object.httpMetadata?.contentType ?? "application/octet-stream";
}

type S3Setting = Extract<StoredLogExport, { target: "s3" }>;

const MIB = 1024 * 1024;
// S3 error documents are a few hundred bytes; <Code> sits near the start.
const S3_ERROR_EXCERPT_BYTES = 4096;

async function s3Target(env: Env, setting: S3Setting, fetcher: typeof fetch, timeoutMs: number): Promise<ExportTarget> {
  const endpoint = setting.endpoint.replace(/\/+$/, "");
  const label = targetLabel(setting) ?? endpoint;
  const problem = checkOutboundUrl(endpoint, outboundUrlPolicy(env));
  let client: AwsClient | null = null;
  let setupError: string | null = problem === null ? null : `The S3 endpoint is not allowed: ${problem}`;
  if (setupError === null) {
    try {
      const secretAccessKey = await decryptSecret(env, setting.secret_ciphertext, SECRET_BINDINGS.logExport());
      // No retries inside the signer: a failed day is retried by the next retention invocation instead.
      client = new AwsClient({ accessKeyId: setting.access_key_id, secretAccessKey, region: setting.region, service: "s3", retries: 0 });
    } catch (err) {
      setupError = `The S3 secret access key cannot be used: ${errorMessage(err)}`;
    }
  }
  const send = async (key: string, body: Uint8Array | ReadableStream<Uint8Array>, size: number, headers: Record<string, string>): Promise<void> => {
    const signer = client;
    if (signer === null) throw new ExportTargetError(setupError ?? "The S3 target is not configured.");
    const url = `${endpoint}/${encodeURIComponent(setting.bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;
    const limitMs = timeoutMs + Math.ceil(size / MIB) * S3_PUT_MS_PER_MIB;
    const stalled = () => new ExportTargetError(`S3 PUT ${key} got no complete answer within ${limitMs / 1000} s`);
    await withDeadline(limitMs, stalled, async (signal) => {
      // Like every outbound call: the signed request and the logs go only where they were addressed.
      const signed = await signer.sign(url, { method: "PUT", redirect: "manual", body, headers });
      const res = await fetcher(signed, { signal });
      if (!res.ok) {
        // An excerpt is all the error needs; the rest of the body is never read.
        const text = (await readBody(res, { maxBytes: S3_ERROR_EXCERPT_BYTES, truncate: true })).text.slice(0, 300);
        const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
        throw new ExportTargetError(`S3 PUT ${key} answered ${res.status}${code ? ` ${code}` : ""}${text && !code ? `: ${text}` : ""}`);
      }
      await res.body?.cancel();
    });
  };
  // A signed payload hash instead of aws4fetch's UNSIGNED-PAYLOAD: S3 then rejects a body altered in transit.
  const put = async (key: string, body: Uint8Array, contentType: string): Promise<void> =>
    send(key, body, body.byteLength, { "Content-Type": contentType, "X-Amz-Content-Sha256": await sha256Hex(body) });
  return {
    label,
    prefix: setting.prefix,
    put,
    async copy(key, object) {
      const md5 = object.checksums.md5;
      // An object R2 stored in parts has no MD5: read it, so its payload hash can be signed instead.
      if (!md5) return put(key, new Uint8Array(await object.arrayBuffer()), contentTypeOf(object));
      // Streamed with its length; the signed Content-MD5 (R2's own checksum) makes S3 reject altered bytes.
      await send(key, object.body.pipeThrough(new FixedLengthStream(object.size)), object.size, {
        "Content-Type": contentTypeOf(object),
        "Content-MD5": base64(md5),
        "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD",
      });
    },
  };
}

function base64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}
