import { describe, expect, it } from "vitest";
import { groupByCredential } from "../../../web/src/lib/connection-groups";
import { makeConnection } from "../factories";

describe("groupByCredential", () => {
  it("groups connections under their credential by name, each group in position order", () => {
    const groups = groupByCredential([
      makeConnection({ name: "Asset tags", credential_id: "cred_b", credential_name: "Warehouse API", position: 2 }),
      makeConnection({ name: "Device owners", credential_id: "cred_a", credential_name: "Fleet API", position: 3 }),
      makeConnection({ name: "Device status", credential_id: "cred_a", credential_name: "Fleet API", position: 1 }),
      makeConnection({ name: "Locations", credential_id: "cred_b", credential_name: "Warehouse API", position: 1 }),
      makeConnection({ name: "Firmware", credential_id: "cred_a", credential_name: "Fleet API", position: 2 }),
    ]);

    expect(groups.map((g) => g.credentialName)).toEqual(["Fleet API", "Warehouse API"]);
    expect(groups.map((g) => g.connections.map((c) => c.name))).toEqual([
      ["Device status", "Firmware", "Device owners"],
      ["Locations", "Asset tags"],
    ]);
  });

  it("keeps two credentials with the same name apart", () => {
    const groups = groupByCredential([
      makeConnection({ name: "A", credential_id: "cred_2", credential_name: "Fleet API", position: 1 }),
      makeConnection({ name: "B", credential_id: "cred_1", credential_name: "Fleet API", position: 1 }),
    ]);

    expect(groups.map((g) => g.credentialId)).toEqual(["cred_1", "cred_2"]);
  });
});
