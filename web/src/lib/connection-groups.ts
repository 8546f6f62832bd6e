import type { ConnectionSummary } from "../../../worker/schemas/types";

export interface CredentialGroup {
  credentialId: string;
  credentialName: string;
  connections: ConnectionSummary[];
}

// A run walks one credential's connections by position, so the list reads the same way.
export function groupByCredential(connections: readonly ConnectionSummary[]): CredentialGroup[] {
  const groups = new Map<string, CredentialGroup>();
  for (const connection of connections) {
    let group = groups.get(connection.credential_id);
    if (!group) {
      group = { credentialId: connection.credential_id, credentialName: connection.credential_name, connections: [] };
      groups.set(connection.credential_id, group);
    }
    group.connections.push(connection);
  }
  const sorted = [...groups.values()].sort((a, b) => a.credentialName.localeCompare(b.credentialName) || a.credentialId.localeCompare(b.credentialId));
  for (const group of sorted) {
    group.connections.sort((a, b) => a.position - b.position || a.name.localeCompare(b.name));
  }
  return sorted;
}
