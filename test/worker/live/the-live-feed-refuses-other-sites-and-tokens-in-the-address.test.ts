import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { makeToken } from "../factories";
import { bearerProtocol, connectLive, expectType } from "./live-client";

const worker = exports.default;

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

async function upgrade(path: string, headers: Record<string, string>): Promise<Response> {
  return worker.fetch(`http://localhost${path}`, { headers: { Upgrade: "websocket", ...headers } });
}

describe("GET /api/live from a browser", () => {
  it("refuses a socket opened by a page on another site, even with a valid token", async () => {
    const { token } = await makeToken("viewer");
    for (const origin of ["https://evil.example", "http://localhost:9999", "null"]) {
      const res = await upgrade("/api/live", { ...bearerProtocol(token), Origin: origin });
      expect(res.status, origin).toBe(403);
      const body = await res.json<ErrorBody>();
      expect(body.error.code).toBe("cross_site_request");
      expect(body.error.message).toContain("only from this dashboard");
    }
  });

  it("accepts a socket from this dashboard's own origin, and from a client that sends no Origin", async () => {
    const { token } = await makeToken("viewer");
    for (const headers of [{ ...bearerProtocol(token), Origin: "http://localhost" }, bearerProtocol(token)]) {
      const client = await connectLive(headers);
      expectType(await client.next(), "snapshot");
      client.close();
    }
  });

  it("refuses a token in the query string with 400 naming it, valid or not, with or without a subprotocol", async () => {
    const { token } = await makeToken("viewer");
    for (const headers of [{}, bearerProtocol(token)]) {
      const res = await upgrade(`/api/live?token=${token}`, headers);
      expect(res.status).toBe(400);
      const body = await res.json<ErrorBody>();
      expect(body.error.code).toBe("token_in_query");
      expect(body.error.message).toContain('["bearer", "<API token>"]');
      expect(body.error.details).toEqual([{ path: "token", in: "query", message: "Not accepted in the query string." }]);
    }
  });
});
