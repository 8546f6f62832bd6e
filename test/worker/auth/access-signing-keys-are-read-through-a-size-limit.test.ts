import { describe, expect, it } from "vitest";
import { AccessJwtError, createAccessVerifier } from "../../../worker/auth/access-jwt";
import { makeAccessTeam } from "../factories";

describe("the Access certs endpoint", () => {
  it("answering with a body that never ends makes the keys unavailable instead of holding the request", async () => {
    const team = await makeAccessTeam();
    let canceled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(`{"keys":[${" ".repeat(64 * 1024)}`));
      },
      cancel() {
        canceled = true;
      },
    });
    const verify = createAccessVerifier({
      teamDomain: team.teamDomain,
      audience: team.audience,
      fetch: async () => new Response(endless, { headers: { "content-type": "application/json" } }),
    });

    const error = await verify(await team.sign()).then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(AccessJwtError);
    expect(error).toMatchObject({ kind: "unavailable" });
    expect((error as Error).message).toMatch(/more than 1 MiB/);
    expect(canceled).toBe(true);
  });
});
