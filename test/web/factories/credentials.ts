import type { Credential } from "../../../worker/schemas/types";

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
