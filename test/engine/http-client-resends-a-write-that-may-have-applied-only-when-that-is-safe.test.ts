import { describe, expect, it } from "vitest";
import { EngineError } from "../../worker/engine/errors";
import { makeClient } from "./factories";
import { caught, useLoopbackServers } from "./support/engine-fixtures";

const serve = useLoopbackServers();

async function engineError(promise: Promise<unknown>): Promise<EngineError> {
  const error = await caught(promise);
  expect(error).toBeInstanceOf(EngineError);
  return error as EngineError;
}

// mayRetryAfterSend: false is what a POST or bulk write without an idempotency key asks for.
describe("a write that may have been applied", () => {
  it("is not sent again after a 5xx, and fails as a transient error that says why", async () => {
    const server = await serve(() => ({ status: 503 }));
    const { client, events } = makeClient();

    const error = await engineError(client.request({ method: "POST", url: `${server.url}/devices`, body: "{}", phase: "update", mayRetryAfterSend: false }));

    expect(server.requests).toHaveLength(1);
    expect(events.filter((event) => event.type === "retry")).toEqual([]);
    expect(error).toMatchObject({ http_status: 503, retryable: true });
    expect(error.message).toMatch(/returned 503; not sent again: the destination may have applied it/);
    expect(error.hint).toMatch(/idempotency header/);
  });

  it("is not sent again after a timeout", async () => {
    const server = await serve(() => ({ status: 200, delayMs: 400 }));
    const { client } = makeClient({ limits: { timeout_ms: 100 } });

    const error = await engineError(client.request({ method: "POST", url: `${server.url}/devices`, body: "{}", phase: "update", mayRetryAfterSend: false }));

    expect(server.requests).toHaveLength(1);
    expect(error).toMatchObject({ code: "timeout", retryable: true });
    expect(error.message).toMatch(/timed out after 100 ms; not sent again/);
  });

  it("is still retried after a 429, which applied nothing", async () => {
    const server = await serve(() => (server.requests.length === 1 ? { status: 429, headers: { "retry-after": "0" } } : { body: { ok: true } }));
    const { client } = makeClient();

    const response = await client.request({ method: "POST", url: `${server.url}/devices`, body: "{}", mayRetryAfterSend: false });

    expect(response.status).toBe(200);
    expect(server.requests).toHaveLength(2);
  });

  it("is retried as before when it is safe to repeat", async () => {
    const server = await serve(() => (server.requests.length === 1 ? { status: 503 } : { body: { ok: true } }));
    const { client } = makeClient();

    const response = await client.request({ method: "POST", url: `${server.url}/devices`, body: "{}", mayRetryAfterSend: true });

    expect(response.attempts).toBe(2);
  });
});
