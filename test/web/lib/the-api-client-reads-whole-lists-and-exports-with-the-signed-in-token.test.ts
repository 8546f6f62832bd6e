import { describe, expect, it } from "vitest";
import { ApiError, createApiClient } from "../../../web/src/lib/api";
import { jsonResponse, makeConnection, makeErrorBody } from "../factories";

interface Sent {
  url: URL;
  headers: Headers;
}

function clientAnswering(answer: (url: URL) => Response) {
  const sent: Sent[] = [];
  const unauthorized: ApiError[] = [];
  const client = createApiClient({
    baseUrl: "http://dashboard.test",
    token: () => "osk_signed_in",
    onUnauthorized: (error) => unauthorized.push(error),
    fetch: async (input, init) => {
      const url = new URL(String(input));
      sent.push({ url, headers: new Headers(init?.headers) });
      return answer(url);
    },
  });
  return { client, sent, unauthorized };
}

describe("the API client", () => {
  it("reads a whole list by following next_cursor, in pages of 500", async () => {
    const first = makeConnection({ name: "First" });
    const second = makeConnection({ name: "Second" });
    const { client, sent } = clientAnswering((url) =>
      url.searchParams.get("cursor") === null ? jsonResponse({ data: [first], next_cursor: "c2" }) : jsonResponse({ data: [second], next_cursor: null }),
    );

    const connections = await client.listConnections();

    expect(connections.map((connection) => connection.name)).toEqual(["First", "Second"]);
    expect(sent.map(({ url }) => `${url.pathname}${url.search}`)).toEqual(["/api/connections?limit=500", "/api/connections?cursor=c2&limit=500"]);
    expect(sent.every(({ headers }) => headers.get("authorization") === "Bearer osk_signed_in")).toBe(true);
  });

  it("reads an export as text with the page's filters, and a 401 on it ends the session like any other call", async () => {
    const csv = "serial,action\nSN-1,updated\n";
    let status = 200;
    const { client, sent, unauthorized } = clientAnswering(() =>
      status === 200
        ? new Response(csv, { headers: { "content-type": "text/csv" } })
        : jsonResponse(makeErrorBody("unauthorized", "The token has expired."), 401),
    );

    expect(await client.jobRecordsCsv("job 1", { action: "updated", serial: "SN-1" })).toBe(csv);
    expect(sent[0]!.url.pathname).toBe("/api/jobs/job%201/records");
    expect(Object.fromEntries(sent[0]!.url.searchParams)).toEqual({ action: "updated", serial: "SN-1", format: "csv" });
    expect(sent[0]!.headers.get("accept")).toBe("text/csv");

    status = 401;
    await expect(client.jobLogsText("job_1", { level: "ERROR,WARN" })).rejects.toMatchObject({ code: "unauthorized", status: 401 });
    expect(Object.fromEntries(sent[1]!.url.searchParams)).toEqual({ download: "1", level: "ERROR,WARN" });
    expect(unauthorized.map((error) => error.message)).toEqual(["The token has expired."]);
  });

  it("checks a candidate token at sign-in without ending the current session on its 401", async () => {
    const { client, sent, unauthorized } = clientAnswering(() => jsonResponse(makeErrorBody("unauthorized", "Unknown token."), 401));

    await expect(client.session("osk_candidate")).rejects.toMatchObject({ code: "unauthorized" });

    expect(sent[0]!.headers.get("authorization")).toBe("Bearer osk_candidate");
    expect(unauthorized).toEqual([]);
  });
});
