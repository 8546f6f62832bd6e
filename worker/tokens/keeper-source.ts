import type { AccessTokenSource } from "../engine/credential-auth";
import type { Env } from "../env";

export function tokenKeeperStub(env: Pick<Env, "TOKEN_KEEPER">, credentialId: string) {
  return env.TOKEN_KEEPER.get(env.TOKEN_KEEPER.idFromName(credentialId));
}

// A run's access tokens for an oauth2_refresh_token credential come from the credential's one keeper.
export function keeperTokenSource(env: Pick<Env, "TOKEN_KEEPER">, credentialId: string): AccessTokenSource {
  return { token: (request) => tokenKeeperStub(env, credentialId).token(credentialId, request) };
}
