import { describe, expect, it } from "vitest";
import { ApiError, createApiClient } from "../../../web/src/lib/api";
import { jsonResponse, makeConnection, makeErrorBody } from "../factories";

function clientAnswering(answer: (url: string) => Response | Promise<Response>) {
  const requested: string[] = [];
  const client = createApiClient({
    fetch: async (input) => {
      const url = String(input);
      requested.push(url);
      return answer(url);
    },
  });
  return { client, requested };
}

async function failureOf(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

describe("the API client", () => {
  it("turns the API's error body into an ApiError with its code, message, status, fields, hint and meta", async () => {
    const details = [{ path: "name", message: 'A credential named "A" already exists.', in: "body" as const }];
    const { client } = clientAnswering(() =>
      jsonResponse(makeErrorBody("name_taken", 'A credential named "A" already exists.', details, { hint: "Pick another name", meta: { id: "cred_1" } }), 409),
    );

    const error = await failureOf(client.connections());

    expect(error.code).toBe("name_taken");
    expect(error.message).toBe('A credential named "A" already exists.');
    expect(error.status).toBe(409);
    expect(error.details).toEqual(details);
    expect(error.hint).toBe("Pick another name");
    expect(error.meta).toEqual({ id: "cred_1" });
  });

  it("gives every error a list of fields, even one from a proxy or an older server that sent an object", async () => {
    const { client } = clientAnswering(() => jsonResponse({ error: { code: "payload_too_large", message: "Too big", details: { max_bytes: 5 } } }, 413));

    const error = await failureOf(client.connections());

    expect(error.details).toEqual([]);
    expect(error.meta).toEqual({});
  });

  it("reports a status without a JSON body as an http_error", async () => {
    const { client } = clientAnswering(() => new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));

    const error = await failureOf(client.connections());

    expect(error.code).toBe("http_error");
    expect(error.message).toContain("502");
  });

  it("reports an unreachable server as a network_error", async () => {
    const { client } = clientAnswering(() => Promise.reject(new TypeError("Failed to fetch")));

    const error = await failureOf(client.health());

    expect(error.code).toBe("network_error");
    expect(error.status).toBe(0);
  });

  it("reads a degraded health answer (503) as health, not as a failure", async () => {
    const degraded = {
      status: "degraded",
      version: "0.1.0",
      d1: { ok: false, latency_ms: 0, error: "no such table" },
      migrations: { applied: [], latest: null },
      sandbox: false,
      scheduler: { minute_tick_at: null, daily_tick_at: null },
    };
    const { client } = clientAnswering(() => jsonResponse(degraded, 503));

    await expect(client.health()).resolves.toEqual(degraded);
  });

  it("asks for the next page with the cursor it was given", async () => {
    const page = { data: [makeConnection()], next_cursor: null };
    const { client, requested } = clientAnswering(() => jsonResponse(page));

    await expect(client.connections({ cursor: "c_2", limit: 50 })).resolves.toEqual(page);

    expect(requested).toEqual(["/api/connections?cursor=c_2&limit=50"]);
  });
});
