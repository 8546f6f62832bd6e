// The dashboard's addresses that other parts hand out: alert payloads, MCP answers, the CLI's output and the
// dashboard's own links. One place, so a link made in the worker always opens the page the dashboard serves.
export const dashboardPaths = {
  job: (jobId: string) => `/jobs/${encodeURIComponent(jobId)}`,
  // Outbound Sync Jobs with that run open (web/src/components/LinkedRun.svelte).
  run: (runId: string) => `/jobs?run=${encodeURIComponent(runId)}`,
  connection: (connectionId: string) => `/connections/${encodeURIComponent(connectionId)}`,
  connectionRuns: (connectionId: string) => `/jobs?connection=${encodeURIComponent(connectionId)}`,
  // A connection's Serials section, opened on one latest outcome when given (e.g. failed).
  connectionSerials: (connectionId: string, action?: string) =>
    `/connections/${encodeURIComponent(connectionId)}${action === undefined ? "" : `?serials=${encodeURIComponent(action)}`}#section-serials`,
  // Outbound Sync Jobs filtered by a serial: where it stands on each connection, then the runs that held it.
  serialRuns: (serial: string) => `/jobs?serial=${encodeURIComponent(serial)}`,
  // Where Connect ends (the OAuth callback): the Credentials page, which says how it went and drops the parameters.
  connected: (credentialId: string) => `/credentials?${new URLSearchParams({ connected: credentialId })}`,
  connectFailed: (message: string, credentialId: string | null) =>
    `/credentials?${new URLSearchParams({ connect_error: message, ...(credentialId === null ? {} : { credential: credentialId }) })}`,
};

// `base` with its trailing slashes dropped, then the path.
export function dashboardUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}
