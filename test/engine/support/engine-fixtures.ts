import { afterEach } from "vitest";
import { startLoopbackServer, type LoopbackHandler, type LoopbackServer } from "./loopback-server";

// Starts loopback servers for one test file and closes them after each test.
export function useLoopbackServers() {
  const open: LoopbackServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((server) => server.close()));
  });
  return async (handler: LoopbackHandler) => {
    const server = await startLoopbackServer(handler);
    open.push(server);
    return server;
  };
}

export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}
