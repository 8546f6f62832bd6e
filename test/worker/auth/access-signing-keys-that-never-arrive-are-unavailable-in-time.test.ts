import { describe, expect, it } from "vitest";
import { AccessJwtError, createAccessVerifier } from "../../../worker/auth/access-jwt";
import { makeAccessTeam } from "../factories";

describe("the Access certs endpoint", () => {
  it("never answering makes the keys unavailable after the time limit, and the next request asks again", async () => {
    const team = await makeAccessTeam();
    let calls = 0;
    let aborted = false;
    const verify = createAccessVerifier({
      teamDomain: team.teamDomain,
      audience: team.audience,
      jwksTimeoutMs: 30,
      fetch: (_input, init) => {
        calls += 1;
        return new Promise<Response>((_, reject) => {
          init?.signal?.addEventListener("abort", () => {
            aborted = true;
            reject(init.signal?.reason);
          });
        });
      },
    });

    const error = await verify(await team.sign()).then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(AccessJwtError);
    expect(error).toMatchObject({ kind: "unavailable" });
    expect((error as Error).message).toMatch(/no complete answer within 30 ms/);
    expect(aborted).toBe(true);
    // The failed read is not cached: the next request reads the keys again.
    await verify(await team.sign()).catch(() => undefined);
    expect(calls).toBe(2);
  });

  it("trickling a body below the size limit is cut off by the same time limit", async () => {
    const team = await makeAccessTeam();
    const trickle = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        controller.enqueue(new TextEncoder().encode(" "));
      },
    });
    const verify = createAccessVerifier({
      teamDomain: team.teamDomain,
      audience: team.audience,
      jwksTimeoutMs: 40,
      fetch: async () => new Response(trickle, { headers: { "content-type": "application/json" } }),
    });

    await expect(verify(await team.sign())).rejects.toMatchObject({ kind: "unavailable", message: expect.stringMatching(/within 40 ms/) });
  });
});
