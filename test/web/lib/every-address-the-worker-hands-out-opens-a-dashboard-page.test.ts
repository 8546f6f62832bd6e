import { describe, expect, it } from "vitest";
import { dashboardPaths } from "../../../shared/dashboard-paths";
import { matchRoute } from "../../../web/src/routes";
import { linkedRunId, parseRunFilters } from "../../../web/src/lib/run-filters";
import { readConnectReturn } from "../../../web/src/lib/connect-return";

// Alert payloads, MCP answers and the CLI build their links from shared/dashboard-paths.ts: each must land on the
// page that shows what it names, with ids that need escaping kept whole.
const ODD_ID = "id with/slash?&#";

function open(address: string) {
  const url = new URL(address, "https://sync.example.com");
  return { match: matchRoute(url.pathname), search: url.search };
}

describe("the dashboard's addresses", () => {
  it("a job's opens the job page with its id", () => {
    const { match } = open(dashboardPaths.job(ODD_ID));
    expect(match.route.path).toBe("/jobs/:id");
    expect(match.params).toEqual({ id: ODD_ID });
  });

  it("a run's opens Outbound Sync Jobs with that run", () => {
    const { match, search } = open(dashboardPaths.run(ODD_ID));
    expect(match.route.path).toBe("/jobs");
    expect(linkedRunId(search)).toBe(ODD_ID);
  });

  it("a connection's opens its page, and its runs the list filtered to it", () => {
    const page = open(dashboardPaths.connection(ODD_ID));
    expect(page.match.route.path).toBe("/connections/:id");
    expect(page.match.params).toEqual({ id: ODD_ID });
    const runs = open(dashboardPaths.connectionRuns(ODD_ID));
    expect(runs.match.route.path).toBe("/jobs");
    expect(parseRunFilters(runs.search).connection).toBe(ODD_ID);
  });

  it("a serial's opens Outbound Sync Jobs filtered by it", () => {
    const { match, search } = open(dashboardPaths.serialRuns(ODD_ID));
    expect(match.route.path).toBe("/jobs");
    expect(parseRunFilters(search).serial).toBe(ODD_ID);
  });

  it("a connection's serials open its page at the Serials section, on one outcome when given", () => {
    const { match, search } = open(dashboardPaths.connectionSerials(ODD_ID, "failed"));
    expect(match.route.path).toBe("/connections/:id");
    expect(match.params).toEqual({ id: ODD_ID });
    expect(new URLSearchParams(search).get("serials")).toBe("failed");
    expect(new URL(dashboardPaths.connectionSerials(ODD_ID), "https://x").hash).toBe("#section-serials");
  });

  it("Connect's ends open the Credentials page, which reads how it went", () => {
    const connected = open(dashboardPaths.connected(ODD_ID));
    expect(connected.match.route.path).toBe("/credentials");
    expect(readConnectReturn(connected.search)).toEqual({ ok: true, credentialId: ODD_ID });
    const failed = open(dashboardPaths.connectFailed("The provider answered access_denied: no & thanks", ODD_ID));
    expect(readConnectReturn(failed.search)).toEqual({ ok: false, credentialId: ODD_ID, message: "The provider answered access_denied: no & thanks" });
    expect(readConnectReturn(open(dashboardPaths.connectFailed("expired", null)).search)).toEqual({ ok: false, credentialId: null, message: "expired" });
  });
});
