import { fromBase64Url } from "../../worker/engine/jwt-assertion";

// Key pairs for JWT bearer credentials, made fresh per test file: the private half as a PEM block (what a person
// pastes), the public half as the SPKI PEM a provider registers.
export interface SigningKeyPair {
  privatePem: string;
  publicPem: string;
  publicKey: CryptoKey;
}

export async function makeSigningKeyPair(algorithm: "RS256" | "ES256" = "RS256"): Promise<SigningKeyPair> {
  const params =
    algorithm === "RS256"
      ? { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }
      : { name: "ECDSA", namedCurve: "P-256" };
  const pair = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
  const pkcs8 = (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer;
  const spki = (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer;
  return { privatePem: pem("PRIVATE KEY", pkcs8), publicPem: pem("PUBLIC KEY", spki), publicKey: pair.publicKey };
}

function pem(label: string, der: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(der)) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

export function decodeJwtPart(part: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(fromBase64Url(part))) as Record<string, unknown>;
}

export async function jwtSignatureValid(jwt: string, publicKey: CryptoKey): Promise<boolean> {
  const [header, claims, signature] = jwt.split(".");
  const algorithm = publicKey.algorithm.name === "ECDSA" ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5" };
  return crypto.subtle.verify(algorithm, publicKey, fromBase64Url(signature!), new TextEncoder().encode(`${header}.${claims}`));
}
