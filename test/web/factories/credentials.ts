import { screen, within } from "@testing-library/svelte";
import { page } from "./connections";
import { jsonResponse, stubApi, type ApiCall } from "./responses";
import type { ConnectionSummary, Credential } from "../../../worker/schemas/types";

let sequence = 0;

// A bearer credential unless the overrides say otherwise; pass `scheme` and `config` together.
export function makeCredential(overrides: Partial<Credential> = {}): Credential {
  sequence += 1;
  return {
    id: `cred_${sequence}`,
    name: `Credential ${sequence}`,
    scheme: "bearer",
    config: {},
    has_secret: true,
    secret_hint: "••••3f9a",
    connection_count: 0,
    created_at: "2026-11-20T10:00:00.000Z",
    updated_at: "2026-11-20T10:00:00.000Z",
    ...overrides,
  } as Credential;
}

type RefreshTokenCredential = Extract<Credential, { scheme: "oauth2_refresh_token" }>;
type RefreshTokenState = NonNullable<RefreshTokenCredential["refresh_token"]>;

// A HubSpot-like app a person authorized, with its refresh token kept; pass `refresh_token: null` for one never connected.
export function makeRefreshTokenCredential(overrides: Partial<RefreshTokenCredential> = {}): RefreshTokenCredential {
  return makeCredential({
    scheme: "oauth2_refresh_token",
    config: {
      token_url: "https://api.hubapi.com/oauth/v1/token",
      client_id: "hubspot-app",
      client_auth: "body",
      authorize_url: "https://app.hubspot.com/oauth/authorize",
    },
    refresh_token: makeRefreshTokenState(),
    ...overrides,
  } as Partial<Credential>) as RefreshTokenCredential;
}

export function makeRefreshTokenState(overrides: Partial<RefreshTokenState> = {}): RefreshTokenState {
  return { hint: "••••9c1e", set_at: "2026-11-20T10:00:00.000Z", rotated_at: null, error: null, error_at: null, ...overrides };
}

export type CredentialsApiCall = ApiCall;

export interface CredentialsApiWorld {
  credentials: Credential[];
  connections?: ConnectionSummary[];
  // Answers a write; undefined falls through to "unexpected request".
  answer?: (call: CredentialsApiCall) => Response | undefined;
}

/** The Credentials page's API as a fetch stub: lists from `world`, writes answered by `world.answer`; returns every call made. */
export function serveCredentialsApi(world: CredentialsApiWorld): CredentialsApiCall[] {
  return stubApi((call) => {
    if (call.method === "GET" && call.path === "/api/credentials") return jsonResponse(page(world.credentials));
    if (call.method === "GET" && call.path === "/api/connections") return jsonResponse(page(world.connections ?? []));
    const answer = world.answer?.(call);
    if (answer) return answer;
    throw new Error(`unexpected request ${call.method} ${call.path}`);
  });
}

// The writes among the calls the page made.
export const credentialWrites = (calls: CredentialsApiCall[]) => calls.filter((call) => call.method !== "GET");

export async function credentialItem(name: string): Promise<HTMLElement> {
  return (await screen.findByRole("heading", { name, level: 3 })).closest("li") as HTMLElement;
}

// The value a credential's fact list shows for a label, whitespace flattened.
export function credentialFact(item: HTMLElement, label: string): string {
  return within(item).getByText(label, { selector: "dt" }).nextElementSibling?.textContent?.replace(/\s+/g, " ").trim() ?? "";
}

// An empty list whose POST /api/credentials answers 201 with `created` and lists it from then on.
export function creatingWorld(created: Credential): CredentialsApiWorld {
  const world: CredentialsApiWorld = {
    credentials: [],
    answer: (call) => {
      if (call.method !== "POST" || call.path !== "/api/credentials") return undefined;
      world.credentials.push(created);
      return jsonResponse(created, 201);
    },
  };
  return world;
}
