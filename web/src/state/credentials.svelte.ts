import { api, asApiError, type ApiError } from "../lib/api";
import { Resource } from "../lib/resource.svelte";
import { router } from "../lib/router.svelte";
import { readConnectReturn, withoutConnectReturn, type ConnectReturn } from "../lib/connect-return";
import { assertNever } from "../../../shared/lang";
import { refreshCatalog } from "./catalog.svelte";
import { SaveState } from "./save-state.svelte";
import type { ConnectionSummary, CreateCredentialBody, Credential, TestAuthResult, UpdateCredentialBody } from "../../../worker/schemas/types";
import type { CredentialScheme, OAuth2ClientAuth, RefreshClientAuth } from "../../../worker/engine/credential-auth";
import type { JwtAlgorithm } from "../../../worker/engine/jwt-assertion";

// Every scheme's settings are kept in one draft, so switching the scheme back and forth loses nothing typed.
export interface CredentialDraft {
  scheme: CredentialScheme;
  name: string;
  // Write-only: blank when editing keeps the stored secret.
  secret: string;
  username: string;
  header_name: string;
  value_prefix: string;
  token_url: string;
  client_id: string;
  scope: string;
  audience: string;
  client_auth: OAuth2ClientAuth;
  issuer: string;
  subject: string;
  certificate_thumbprint: string;
  access_key_id: string;
  region: string;
  service: string;
  // aws_sigv4, optional: a role the IAM user assumes; the other three matter only with it.
  role_arn: string;
  external_id: string;
  session_name: string;
  sts_url: string;
  key_id: string;
  algorithm: JwtAlgorithm;
  // oauth2_refresh_token takes only two of the client authentications.
  refresh_client_auth: RefreshClientAuth;
  authorize_url: string;
  // Write-only, like the secret: blank when editing keeps the stored refresh token.
  refresh_token: string;
}

// A credential that keeps a refresh token beside its client secret.
export type RefreshTokenCredential = Extract<Credential, { scheme: "oauth2_refresh_token" }>;

export const SCHEME_HAS_SECRET: Record<CredentialScheme, boolean> = {
  none: false,
  bearer: true,
  basic: true,
  api_key: true,
  oauth2_client_credentials: true,
  oauth2_jwt_bearer: true,
  oauth2_refresh_token: true,
  aws_sigv4: true,
};

// The schemes that fetch an access token, so a test may leave its URL out and only fetch one.
export const FETCHES_TOKEN: Record<CredentialScheme, boolean> = {
  none: false,
  bearer: false,
  basic: false,
  api_key: false,
  oauth2_client_credentials: true,
  oauth2_jwt_bearer: true,
  oauth2_refresh_token: true,
  aws_sigv4: false,
};

export function emptyCredentialDraft(): CredentialDraft {
  return {
    scheme: "bearer",
    name: "",
    secret: "",
    username: "",
    header_name: "X-API-Key",
    value_prefix: "",
    token_url: "",
    client_id: "",
    scope: "",
    audience: "",
    client_auth: "basic",
    issuer: "",
    subject: "",
    certificate_thumbprint: "",
    access_key_id: "",
    region: "",
    service: "execute-api",
    role_arn: "",
    external_id: "",
    session_name: "",
    sts_url: "",
    key_id: "",
    algorithm: "RS256",
    refresh_client_auth: "basic",
    authorize_url: "",
    refresh_token: "",
  };
}

export function credentialDraftOf(credential: Credential): CredentialDraft {
  const draft = { ...emptyCredentialDraft(), scheme: credential.scheme, name: credential.name };
  switch (credential.scheme) {
    case "none":
    case "bearer":
      return draft;
    case "basic":
      return { ...draft, username: credential.config.username };
    case "api_key":
      return { ...draft, header_name: credential.config.header_name, value_prefix: credential.config.value_prefix ?? "" };
    case "oauth2_client_credentials": {
      const { token_url, client_id, scope, audience, client_auth, algorithm, key_id, certificate_thumbprint } = credential.config;
      return {
        ...draft,
        token_url,
        client_id,
        scope: scope ?? "",
        audience: audience ?? "",
        client_auth,
        algorithm: algorithm ?? "RS256",
        key_id: key_id ?? "",
        certificate_thumbprint: certificate_thumbprint ?? "",
      };
    }
    case "aws_sigv4": {
      const { access_key_id, region, service, role_arn, external_id, session_name, sts_url } = credential.config;
      return {
        ...draft,
        access_key_id,
        region,
        service,
        role_arn: role_arn ?? "",
        external_id: external_id ?? "",
        session_name: session_name ?? "",
        sts_url: sts_url ?? "",
      };
    }
    case "oauth2_jwt_bearer": {
      const { token_url, issuer, subject, audience, scope, key_id, algorithm } = credential.config;
      return { ...draft, token_url, issuer, subject: subject ?? "", audience: audience ?? "", scope: scope ?? "", key_id: key_id ?? "", algorithm };
    }
    case "oauth2_refresh_token": {
      const { token_url, client_id, scope, client_auth, authorize_url } = credential.config;
      return { ...draft, token_url, client_id, scope: scope ?? "", refresh_client_auth: client_auth, authorize_url: authorize_url ?? "" };
    }
    default:
      return assertNever(credential);
  }
}

// The scheme's settings as the API takes them; blank optional fields are left out.
function configOf(draft: CredentialDraft): Record<string, string> {
  const optional = (key: string, value: string): Record<string, string> => (value.trim() === "" ? {} : { [key]: value.trim() });
  switch (draft.scheme) {
    case "none":
    case "bearer":
      return {};
    case "basic":
      return { username: draft.username.trim() };
    case "api_key":
      // The prefix keeps its trailing space: "Key " is the point of it.
      return { header_name: draft.header_name.trim(), ...(draft.value_prefix === "" ? {} : { value_prefix: draft.value_prefix }) };
    case "oauth2_client_credentials":
      return {
        token_url: draft.token_url.trim(),
        client_id: draft.client_id.trim(),
        ...optional("scope", draft.scope),
        ...optional("audience", draft.audience),
        client_auth: draft.client_auth,
        ...(draft.client_auth === "private_key_jwt"
          ? { algorithm: draft.algorithm, ...optional("key_id", draft.key_id), ...optional("certificate_thumbprint", draft.certificate_thumbprint) }
          : {}),
      };
    case "aws_sigv4":
      return {
        access_key_id: draft.access_key_id.trim(),
        region: draft.region.trim(),
        service: draft.service.trim(),
        // The role's settings go with the role only, as the form shows them.
        ...(draft.role_arn.trim() === ""
          ? {}
          : {
              role_arn: draft.role_arn.trim(),
              ...optional("external_id", draft.external_id),
              ...optional("session_name", draft.session_name),
              ...optional("sts_url", draft.sts_url),
            }),
      };
    case "oauth2_jwt_bearer":
      return {
        token_url: draft.token_url.trim(),
        issuer: draft.issuer.trim(),
        ...optional("subject", draft.subject),
        ...optional("audience", draft.audience),
        ...optional("scope", draft.scope),
        ...optional("key_id", draft.key_id),
        algorithm: draft.algorithm,
      };
    case "oauth2_refresh_token":
      return {
        token_url: draft.token_url.trim(),
        client_id: draft.client_id.trim(),
        ...optional("scope", draft.scope),
        client_auth: draft.refresh_client_auth,
        ...optional("authorize_url", draft.authorize_url),
      };
    default:
      return assertNever(draft.scheme);
  }
}

// A Google service-account key file pasted as the private key also names the account, the key and the token
// endpoint: those fields are filled from it where still blank, so a newcomer needs to type nothing else.
export function fillFromKeyFile(draft: CredentialDraft, pasted: string): void {
  if (draft.scheme !== "oauth2_jwt_bearer" || !pasted.trimStart().startsWith("{")) return;
  let file: unknown;
  try {
    file = JSON.parse(pasted);
  } catch {
    return;
  }
  const text = (key: string): string => {
    const value = (file as Record<string, unknown> | null)?.[key];
    return typeof value === "string" ? value : "";
  };
  if (draft.issuer.trim() === "") draft.issuer = text("client_email");
  if (draft.key_id.trim() === "") draft.key_id = text("private_key_id");
  if (draft.token_url.trim() === "") draft.token_url = text("token_uri");
}

// A refresh token is one word: spaces around a pasted one are no part of it.
function refreshTokenOf(draft: CredentialDraft): string | undefined {
  const token = draft.refresh_token.trim();
  return draft.scheme === "oauth2_refresh_token" && token !== "" ? token : undefined;
}

export function credentialBody(draft: CredentialDraft): CreateCredentialBody {
  const base = { name: draft.name.trim(), scheme: draft.scheme, config: configOf(draft) };
  // The API names a missing secret at its field, so an empty one is sent as it is.
  const body = SCHEME_HAS_SECRET[draft.scheme] ? { ...base, secret: draft.secret } : base;
  // Without one, Connect gets it once the credential is saved.
  const refreshToken = refreshTokenOf(draft);
  return (refreshToken === undefined ? body : { ...body, refresh_token: refreshToken }) as CreateCredentialBody;
}

// An AWS role session's name when none is given, as the worker's credential loader names it.
export const DEFAULT_SESSION_NAME = "outbound-sync";

// Only what changed: a blank secret keeps the stored one; a cleared optional setting is sent as "" to clear it.
export function credentialChanges(credential: Credential, draft: CredentialDraft): UpdateCredentialBody {
  const before = credentialDraftOf(credential);
  const changes: UpdateCredentialBody = {};
  const name = draft.name.trim();
  if (name !== before.name) changes.name = name;
  if (draft.scheme !== credential.scheme) {
    changes.scheme = draft.scheme;
    changes.config = configOf(draft);
  } else {
    const now = configOf(draft);
    const then = configOf(before);
    const config: Record<string, string> = {};
    for (const key of new Set([...Object.keys(now), ...Object.keys(then)])) {
      // A choice cannot be cleared with "": an algorithm left behind by another client authentication stays unused.
      if (now[key] === undefined && key === "algorithm") continue;
      if (now[key] !== then[key]) config[key] = now[key] ?? "";
    }
    if (Object.keys(config).length > 0) changes.config = config;
  }
  if (SCHEME_HAS_SECRET[draft.scheme] && draft.secret !== "") changes.secret = draft.secret;
  const refreshToken = refreshTokenOf(draft);
  if (refreshToken !== undefined) changes.refresh_token = refreshToken;
  return changes;
}

export interface CredentialEdit {
  credential: Credential;
  draft: CredentialDraft;
  save: SaveState;
}

export interface AuthTest {
  running: boolean;
  result: TestAuthResult | null;
  error: ApiError | null;
}

// The Credentials page: the list with the connections of each, create, edit (and so rotate), delete and test.
export class CredentialsState {
  credentials = new Resource<Credential[]>((signal) => api.listCredentials(signal));
  connections = new Resource<ConnectionSummary[]>((signal) => api.listConnections(signal));

  draft: CredentialDraft = $state(emptyCredentialDraft());
  createSave = new SaveState();
  // At most one credential is edited at a time, in place of its row.
  edit: CredentialEdit | null = $state(null);

  busy: Record<string, string> = $state({});
  errors: Record<string, ApiError> = $state({});
  notes: Record<string, string> = $state({});
  tests: Record<string, AuthTest> = $state({});
  // What the provider's round trip after Connect ended in, read from the address once.
  connectReturn: ConnectReturn | null = $state(null);

  load(): void {
    void this.credentials.reload();
    void this.connections.reload();
  }

  connectionsOf(credentialId: string): ConnectionSummary[] {
    return this.connections.state.kind === "ready" ? this.connections.state.data.filter((c) => c.credential_id === credentialId) : [];
  }

  #put(credential: Credential): void {
    if (this.credentials.state.kind !== "ready") return;
    const data = this.credentials.state.data.map((entry) => (entry.id === credential.id ? credential : entry));
    this.credentials.confirm(data);
  }

  create(): Promise<boolean> {
    return this.createSave.run(async () => {
      const created = await api.createCredential(credentialBody(this.draft));
      this.draft = emptyCredentialDraft();
      refreshCatalog();
      await this.credentials.reload();
      return `Created the credential "${created.name}".`;
    });
  }

  startEdit(credential: Credential): void {
    delete this.notes[credential.id];
    delete this.errors[credential.id];
    this.edit = { credential, draft: credentialDraftOf(credential), save: new SaveState() };
  }

  cancelEdit(): void {
    this.edit = null;
  }

  async saveEdit(): Promise<boolean> {
    const edit = this.edit;
    if (!edit) return false;
    const saved = await edit.save.run(async () => {
      const changes = credentialChanges(edit.credential, edit.draft);
      if (Object.keys(changes).length === 0) return "Nothing changed.";
      const updated = await api.updateCredential(edit.credential.id, changes);
      this.#put(updated);
      // The connection list and the run form name each credential.
      if (changes.name !== undefined) {
        void this.connections.reload();
        refreshCatalog();
      }
      return savedWords(updated, changes);
    });
    if (saved && this.edit === edit) {
      this.notes[edit.credential.id] = edit.save.saved ?? "";
      this.edit = null;
    }
    return saved;
  }

  async remove(credential: Credential): Promise<void> {
    if (this.busy[credential.id]) return;
    this.busy[credential.id] = "deleting";
    delete this.errors[credential.id];
    delete this.notes[credential.id];
    try {
      await api.deleteCredential(credential.id);
      refreshCatalog();
      void this.credentials.reload();
    } catch (error) {
      this.errors[credential.id] = asApiError(error);
    } finally {
      delete this.busy[credential.id];
    }
  }

  // The provider's page takes over; its callback brings the browser back with ?connected= or ?connect_error=.
  async connect(credential: RefreshTokenCredential): Promise<void> {
    if (this.busy[credential.id]) return;
    this.busy[credential.id] = "connecting";
    delete this.errors[credential.id];
    delete this.notes[credential.id];
    try {
      const started = await api.connectCredential(credential.id);
      router.leave(started.authorize_url);
    } catch (error) {
      this.errors[credential.id] = asApiError(error);
    } finally {
      // Cleared even on the way out: Back from the provider may restore this very page.
      delete this.busy[credential.id];
    }
  }

  // Keeps the outcome for the page and takes it out of the address, keeping the path and any other query.
  takeConnectReturn(): void {
    const back = readConnectReturn(router.search);
    if (back === null) return;
    this.connectReturn = back;
    router.navigate(`${router.pathname}${withoutConnectReturn(router.search)}${window.location.hash}`, { replace: true });
  }

  // Blank URL: an OAuth2 credential only fetches a token.
  async testAuth(credential: Credential, url: string): Promise<void> {
    if (this.tests[credential.id]?.running) return;
    this.tests[credential.id] = { running: true, result: null, error: null };
    const target = url.trim();
    try {
      const result = await api.testAuth(credential.id, target === "" && FETCHES_TOKEN[credential.scheme] ? null : target);
      this.tests[credential.id] = { running: false, result, error: null };
    } catch (error) {
      this.tests[credential.id] = { running: false, result: null, error: asApiError(error) };
    }
  }
}

function savedWords(updated: Credential, changes: UpdateCredentialBody): string {
  const refreshHint = updated.scheme === "oauth2_refresh_token" ? updated.refresh_token?.hint : undefined;
  const renewed = [
    ...(changes.secret === undefined ? [] : [`secret (${updated.secret_hint})`]),
    ...(changes.refresh_token === undefined ? [] : [`refresh token${refreshHint ? ` (${refreshHint})` : ""}`]),
  ];
  return renewed.length === 0 ? `Saved "${updated.name}".` : `Saved "${updated.name}" with its new ${renewed.join(" and ")}.`;
}
