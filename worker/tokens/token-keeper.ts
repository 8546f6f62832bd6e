import { DurableObject } from "cloudflare:workers";
import { openCredentialSecret, sealCredentialSecret } from "../auth/credential-secrets";
import { SECRET_BINDINGS } from "../auth/secrets";
import { redeemRefreshToken, type IssuedAccessToken, type KeptTokenAnswer } from "../engine/credential-auth";
import type { CachedToken } from "../engine/token-request";
import { EngineError } from "../engine/errors";
import type { RequestAttempt } from "../engine/http-client";
import { createSystemRuntime } from "../engine/runtime";
import type { Env } from "../env";
import { configText, getStoredCredential, recordRefreshOutcome, rotateRefreshToken, type SealedSecret, type StoredCredential } from "../ledger/credentials";
import { log } from "../observability/log";
import { outboundFetch } from "../outbound";
import { refreshClientOf } from "./refresh-client";

export interface KeeperRequest {
  rejected: string | null;
  fresh: boolean;
}

// A token handed out has at least this long left, so the run it goes to is not back at once.
const HAND_OUT_MARGIN_MS = 60_000;
// A rotated refresh token is the only one the provider still takes: its write to D1 is tried this often before the
// run is told, and again at the next call.
const SAVE_ATTEMPTS = 3;

const UNSAVED_KEY = "unsaved_refresh_token";

interface Kept {
  token: CachedToken;
  // What the token was made from; when the stored credential no longer matches (edited, a new refresh token), the
  // token is not handed out again.
  fingerprint: string;
}

interface Unsaved {
  credentialId: string;
  sent: string;
  next: SealedSecret;
}

/**
 * One instance per oauth2_refresh_token credential (idFromName(credential id)): the only place its refresh token is
 * sent from. Calls are taken one at a time, so runs starting together share one refresh, and a token the provider
 * rotates at each use (Xero, QuickBooks, Auth0 and Okta with rotation) is never sent twice, which such providers
 * treat as theft and answer by revoking the whole grant. The new refresh token is written to D1 before the access
 * token that came with it is handed out. Access tokens live in memory only.
 */
export class TokenKeeper extends DurableObject<Env> {
  private kept: Kept | null = null;
  private unsaved: Unsaved | null = null;
  private storageRead = false;
  private queue: Promise<unknown> = Promise.resolve();

  async token(credentialId: string, request: KeeperRequest): Promise<KeptTokenAnswer> {
    const attempts: RequestAttempt[] = [];
    return this.serially(async () => {
      try {
        return { ok: true, token: await this.issue(credentialId, request, attempts) };
      } catch (error) {
        if (!(error instanceof EngineError)) throw error;
        return { ok: false, error: error.toJSON(), attempts };
      }
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async issue(credentialId: string, request: KeeperRequest, attempts: RequestAttempt[]): Promise<IssuedAccessToken> {
    await this.saveUnsaved();
    const stored = await getStoredCredential(this.env.LEDGER, credentialId);
    if (stored === null || stored.scheme !== "oauth2_refresh_token") {
      throw new EngineError({
        code: "auth_failed",
        message: `Credential ${credentialId} ${stored === null ? "no longer exists" : "no longer uses a refresh token"}`,
        hint: "Check the connection's credential on the Credentials page",
      });
    }
    const fingerprint = fingerprintOf(stored);
    const kept = this.kept;
    if (
      kept !== null &&
      !request.fresh &&
      kept.fingerprint === fingerprint &&
      kept.token.header !== request.rejected &&
      Date.now() < kept.token.expiresAt - HAND_OUT_MARGIN_MS
    ) {
      return issued(kept.token, []);
    }
    this.kept = null;
    const { token, savedAs } = await this.refresh(stored, attempts);
    this.kept = { token, fingerprint: savedAs === null ? fingerprint : fingerprintOf({ ...stored, refreshCiphertext: savedAs }) };
    return issued(token, attempts);
  }

  private async refresh(stored: StoredCredential, attempts: RequestAttempt[]): Promise<{ token: CachedToken; savedAs: string | null }> {
    const sent = stored.refreshCiphertext;
    if (sent === null) {
      throw new EngineError({
        code: "auth_failed",
        message: `Credential "${stored.name}" has no refresh token yet`,
        hint: "Connect the credential or give its refresh token on the Credentials page",
      });
    }
    // Checked before each refresh: the token URL under this deployment's rules, the client secret still opening.
    const client = await refreshClientOf(this.env, stored);
    const refreshToken = await openCredentialSecret(this.env, stored, sent, SECRET_BINDINGS.credentialRefreshToken(stored.id), "refresh token");
    const scope = configText(stored, "scope");
    let answer: Awaited<ReturnType<typeof redeemRefreshToken>>;
    try {
      answer = await redeemRefreshToken(
        { ...client, refresh_token: refreshToken, ...(scope ? { scope } : {}) },
        { runtime: createSystemRuntime({ fetch: outboundFetch(this.env) }), onAttempt: (attempt) => attempts.push(attempt) },
      );
    } catch (error) {
      // The provider's word on this refresh token (or client), kept for the Credentials page; not a timeout's.
      if (error instanceof EngineError && error.code === "auth_failed" && error.http_status !== null && error.http_status < 500) {
        await recordRefreshOutcome(this.env.LEDGER, stored.id, sent, error.message, Date.now());
      }
      throw error;
    }
    if (answer.refresh_token === null) {
      await recordRefreshOutcome(this.env.LEDGER, stored.id, sent, null, Date.now());
      return { token: answer.token, savedAs: null };
    }
    const next = await sealCredentialSecret(this.env, stored.id, "oauth2_refresh_token", stored.config, answer.refresh_token, "refresh_token");
    this.unsaved = { credentialId: stored.id, sent, next };
    // Kept in this object's own storage first: an eviction between here and D1 does not lose it.
    await this.ctx.storage.put(UNSAVED_KEY, this.unsaved);
    await this.saveUnsaved();
    return { token: answer.token, savedAs: next.ciphertext };
  }

  // The rotated refresh token reaches D1 or the run is told; it stays here to be saved by the next call meanwhile.
  private async saveUnsaved(): Promise<void> {
    // Read from storage once per life of this object: after that, memory and storage agree.
    if (!this.storageRead) {
      this.unsaved ??= (await this.ctx.storage.get<Unsaved>(UNSAVED_KEY)) ?? null;
      this.storageRead = true;
    }
    const pending = this.unsaved;
    if (pending === null) return;
    let failure: unknown = null;
    for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
      try {
        const replaced = await rotateRefreshToken(this.env.LEDGER, pending.credentialId, pending.sent, pending.next, Date.now());
        // Not replaced: a person gave another refresh token meanwhile, which is newer than this one.
        if (!replaced) log.info("refresh token rotated after a new one was given; the given one is kept", { credential_id: pending.credentialId });
        this.unsaved = null;
        await this.ctx.storage.delete(UNSAVED_KEY);
        return;
      } catch (error) {
        failure = error;
      }
    }
    log.error("rotated refresh token not saved", { credential_id: pending.credentialId, error: failure });
    throw new EngineError({
      code: "auth_failed",
      message: "The provider rotated the credential's refresh token and the new one could not be saved to the ledger yet",
      hint: "Run again: the new refresh token is kept by the credential's token keeper and saved before its next token request",
    });
  }
}

function fingerprintOf(stored: StoredCredential): string {
  return JSON.stringify([stored.secretCiphertext, stored.refreshCiphertext, stored.config]);
}

function issued(token: CachedToken, attempts: RequestAttempt[]): IssuedAccessToken {
  return { token: token.token, token_type: token.type, expires_at: token.expiresAt, expiry_stated: token.expiryStated, attempts };
}
