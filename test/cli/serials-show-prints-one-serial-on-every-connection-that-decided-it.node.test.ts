import { afterEach, describe, expect, it } from "vitest";
import { EXIT } from "../../cli/src/exit-codes";
import { runCli } from "../../cli/src/run-cli";
import { startLoopbackServer, type LoopbackServer } from "../engine/support/loopback-server";
import { recordedIo } from "./factories";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function cli(argv: string[]) {
  const io = recordedIo({ OUTBOUND_SYNC_URL: server!.url, OUTBOUND_SYNC_TOKEN: "osk_v_test" });
  return { code: await runCli(argv, io), io };
}

const entry = {
  connection_id: "conn_json",
  connection_name: "Device status (JSON)",
  credential_id: "cred_1",
  action: "failed",
  since: "2026-12-07T10:00:00.000Z",
  job_id: "job_1",
  run_id: "run_1",
  mode: "live",
  job_kept: true,
};

describe("serials show", () => {
  it("asks for the serial as one query value and prints each connection's latest outcome, then the dashboard's page", async () => {
    server = await startLoopbackServer((request) => ({
      body: {
        serial: request.url.searchParams.get("serial"),
        connections: [
          entry,
          { ...entry, connection_id: "conn_xml", connection_name: "Device status (XML)", action: "would_update", mode: "dry", job_kept: false },
        ],
      },
    }));
    const { code, io } = await cli(["serials", "show", "DEV 7/#"]);
    expect(code).toBe(EXIT.ok);
    expect(server.requests[0]!.url.pathname).toBe("/api/serials/latest");
    expect(server.requests[0]!.url.searchParams.get("serial")).toBe("DEV 7/#");
    const lines = io.out.trimEnd().split("\n");
    expect(lines[0]).toBe("Serial DEV 7/#:");
    expect(lines[1]).toMatch(/^CONNECTION\s+NAME\s+LATEST OUTCOME\s+SINCE\s+JOB$/);
    expect(lines[2]).toMatch(/^conn_json\s+Device status \(JSON\)\s+Failed\s+2026-12-07T10:00:00.000Z\s+job_1$/);
    expect(lines[3]).toMatch(/^conn_xml\s+Device status \(XML\)\s+Would Update \(dry run\)\s+.+\s+job_1 \(deleted by retention\)$/);
    expect(lines[4]).toBe(`Dashboard: ${server.url}/jobs?serial=DEV%207%2F%23`);
  });

  it("says when no run has decided the serial, and needs the serial", async () => {
    server = await startLoopbackServer((request) => ({ body: { serial: request.url.searchParams.get("serial"), connections: [] } }));
    expect((await cli(["serials", "show", "NOPE-1"])).io.out).toMatch(/^No run has decided NOPE-1 yet\.\nDashboard: /);
    const missing = await cli(["serials", "show"]);
    expect(missing.code).toBe(EXIT.usage);
    expect(server.requests).toHaveLength(1);
  });
});
