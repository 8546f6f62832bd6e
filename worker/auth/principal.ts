export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAtLeast(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

/** Who is calling: an API token or a Cloudflare Access identity. */
export interface Principal {
  kind: "token" | "access";
  /** Token id, or the Access subject. */
  id: string;
  /** Token name, or the Access email; recorded as "who asked" on runs and changes. */
  name: string;
  role: Role;
  /** Ms since the epoch when the credential stops being accepted (token expiry, Access JWT `exp`); null never. */
  expiresAt: number | null;
}
