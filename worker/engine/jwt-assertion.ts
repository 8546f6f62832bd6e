// Signed JWT assertions (RFC 7523) for the OAuth2 JWT bearer grant: Google service accounts, Salesforce's JWT
// bearer flow and any token endpoint that takes `urn:ietf:params:oauth:grant-type:jwt-bearer`.

export const JWT_ALGORITHMS = ["RS256", "ES256"] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
// RFC 7523 §2.2: a client authenticating with a signed JWT instead of a secret (private_key_jwt).
export const JWT_CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// Salesforce refuses an assertion that expires more than 3 minutes after it is made; Google takes up to an hour.
export const ASSERTION_LIFETIME_S = 150;

const KEY_PARAMS: Record<JwtAlgorithm, { import: Parameters<SubtleCrypto["importKey"]>[2]; sign: Parameters<SubtleCrypto["sign"]>[0] }> = {
  RS256: { import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, sign: { name: "RSASSA-PKCS1-v1_5" } },
  ES256: { import: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } },
};

// Why a private key cannot be used, worded for the person who pasted it.
export class PrivateKeyError extends Error {}

export interface AssertionClaims {
  iss: string;
  sub?: string | undefined;
  aud: string;
  scope?: string;
}

// The PKCS #8 key inside what was pasted: a PEM block, or a Google service-account key file (JSON with
// `private_key`), as the provider's console hands it out.
export function privateKeyPem(secret: string): string {
  const text = secret.trim();
  if (text.startsWith("{")) {
    let file: unknown;
    try {
      file = JSON.parse(text);
    } catch {
      throw new PrivateKeyError("looks like a JSON key file but is not valid JSON");
    }
    const key = (file as { private_key?: unknown } | null)?.private_key;
    if (typeof key !== "string") throw new PrivateKeyError("is a JSON key file with no private_key field");
    return key.trim();
  }
  return text;
}

function pkcs8Der(secret: string): Uint8Array<ArrayBuffer> {
  const pem = privateKeyPem(secret);
  if (/-----BEGIN (RSA|EC) PRIVATE KEY-----/.test(pem)) {
    const kind = pem.includes("BEGIN RSA") ? "an RSA (PKCS #1)" : "an EC (SEC 1)";
    throw new PrivateKeyError(`is ${kind} key; paste it in PKCS #8 form ("BEGIN PRIVATE KEY"): openssl pkcs8 -topk8 -nocrypt -in key.pem`);
  }
  if (pem.includes("BEGIN ENCRYPTED PRIVATE KEY")) {
    throw new PrivateKeyError("is encrypted; paste it without a passphrase: openssl pkcs8 -topk8 -nocrypt -in key.pem");
  }
  const block = /-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----/.exec(pem);
  if (block === null) throw new PrivateKeyError('is not a PEM private key: paste the block from "-----BEGIN PRIVATE KEY-----" to its END line');
  const base64 = block[1]!.replace(/\s+/g, "");
  try {
    return Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  } catch {
    throw new PrivateKeyError("is not a PEM private key: the text between its BEGIN and END lines is not base64");
  }
}

export async function importSigningKey(secret: string, algorithm: JwtAlgorithm): Promise<CryptoKey> {
  const der = pkcs8Der(secret);
  try {
    return await crypto.subtle.importKey("pkcs8", der, KEY_PARAMS[algorithm].import, false, ["sign"]);
  } catch {
    const wanted = algorithm === "RS256" ? "an RSA key" : "an EC key on the P-256 curve";
    throw new PrivateKeyError(`is not ${wanted}, which ${algorithm} needs (or the key is damaged)`);
  }
}

// Null when the key can sign with the algorithm, otherwise why not.
export async function privateKeyIssue(secret: string, algorithm: JwtAlgorithm): Promise<string | null> {
  try {
    await importSigningKey(secret, algorithm);
    return null;
  } catch (error) {
    if (error instanceof PrivateKeyError) return error.message;
    throw error;
  }
}

// What the secret's hint shows: the end of the key itself, not of its PEM footer.
export function privateKeyHintSource(secret: string): string {
  try {
    const block = /-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----/.exec(privateKeyPem(secret));
    return block === null ? secret : block[1]!.replace(/\s+/g, "").replace(/=+$/, "");
  } catch {
    return secret;
  }
}

// How the provider finds the key: its id, or the thumbprint of the certificate holding it (Microsoft Entra ID).
export interface KeyReference {
  key_id?: string | undefined;
  certificate_thumbprint?: string | undefined;
}

export async function signAssertion(
  key: CryptoKey,
  algorithm: JwtAlgorithm,
  claims: AssertionClaims,
  nowMs: number,
  reference: KeyReference = {},
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const header = { alg: algorithm, typ: "JWT", ...(reference.key_id ? { kid: reference.key_id } : {}), ...thumbprintHeader(reference.certificate_thumbprint) };
  const payload = { ...claims, iat, exp: iat + ASSERTION_LIFETIME_S, jti: crypto.randomUUID() };
  const signingInput = `${base64UrlJson(header)}.${base64UrlJson(payload)}`;
  const signature = await crypto.subtle.sign(KEY_PARAMS[algorithm].sign, key, new TextEncoder().encode(signingInput));
  return `${signingInput}.${base64Url(new Uint8Array(signature))}`;
}

// A thumbprint as a certificate tool shows it (hex, maybe with colons or spaces): SHA-1 (40 digits) goes in x5t,
// SHA-256 (64) in x5t#S256, each base64url-encoded.
export const THUMBPRINT = /^(?:[0-9a-fA-F]{2}[: ]?){19}[0-9a-fA-F]{2}$|^(?:[0-9a-fA-F]{2}[: ]?){31}[0-9a-fA-F]{2}$/;

function thumbprintHeader(thumbprint: string | undefined): Record<string, string> {
  if (!thumbprint) return {};
  const hex = thumbprint.replace(/[: ]/g, "");
  const bytes = Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
  return { [hex.length === 40 ? "x5t" : "x5t#S256"]: base64Url(bytes) };
}

// An assertion's header and claims as sent; its signature is left out, so what is shown cannot be replayed.
export function decodeAssertion(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims] = jwt
    .split(".")
    .slice(0, 2)
    .map((part) => JSON.parse(new TextDecoder().decode(fromBase64Url(part))) as Record<string, unknown>);
  return { header: header!, claims: claims! };
}

export function fromBase64Url(part: string): Uint8Array<ArrayBuffer> {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)), (ch) => ch.charCodeAt(0));
}

function base64UrlJson(value: unknown): string {
  return base64Url(new TextEncoder().encode(JSON.stringify(value)));
}

export function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
