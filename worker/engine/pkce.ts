import { base64Url } from "./jwt-assertion";

// RFC 7636 §4.2, S256: the challenge an authorization request carries for the verifier its code is redeemed with.
export async function pkceChallenge(verifier: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}
