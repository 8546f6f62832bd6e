/// <reference types="node" />
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface LoopbackRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
  bodyBytes: number;
  receivedAt: number;
}

export interface LoopbackReply {
  status?: number;
  headers?: Record<string, string>;
  // Objects are sent as JSON.
  body?: string | object;
  delayMs?: number;
  // Writes the body itself after the status and headers (endless, dripping or pre-compressed bodies).
  stream?: (res: ServerResponse) => void;
}

export type LoopbackHandler = (request: LoopbackRequest) => LoopbackReply | Promise<LoopbackReply>;

export interface LoopbackServer {
  readonly url: string;
  readonly requests: LoopbackRequest[];
  readonly maxInFlight: number;
  close(): Promise<void>;
}

// A real HTTP server on 127.0.0.1 so the client's sockets, timeouts and byte counts are exercised for real.
export async function startLoopbackServer(handler: LoopbackHandler): Promise<LoopbackServer> {
  const requests: LoopbackRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight -= 1;
    };
    res.on("close", finish);

    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks);
      const request: LoopbackRequest = {
        method: req.method ?? "GET",
        url: new URL(req.url ?? "/", "http://127.0.0.1"),
        headers: req.headers,
        body: raw.toString("utf8"),
        bodyBytes: raw.byteLength,
        receivedAt: performance.now(),
      };
      requests.push(request);
      const reply = await handler(request);
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      if (res.destroyed) return;
      const isJson = typeof reply.body === "object";
      const body = reply.body === undefined ? "" : isJson ? JSON.stringify(reply.body) : String(reply.body);
      res.writeHead(reply.status ?? 200, {
        ...(isJson ? { "content-type": "application/json" } : {}),
        ...reply.headers,
      });
      if (reply.stream) reply.stream(res);
      else res.end(body);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
