/// <reference types="node" />
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answeredWith: number;
}

export interface ReceiverReply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export type ReceiverScript = (request: Omit<ReceivedWebhook, "answeredWith">, index: number) => ReceiverReply;

// A real HTTP endpoint on 127.0.0.1 that can go down and come back on the same port, like a
// receiver being redeployed.
export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly requests: ReceivedWebhook[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startWebhookReceiver(script: ReceiverScript = () => ({ status: 200, body: "ok" }), port = 0): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  let server: Server | null = null;
  let boundPort = port;

  const listen = async () => {
    const created = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const request = { method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
        const reply = script(request, requests.length);
        requests.push({ ...request, answeredWith: reply.status });
        res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
        res.end(reply.body ?? "");
      });
    });
    await new Promise<void>((resolve, reject) => {
      created.once("error", reject);
      created.listen(boundPort, "127.0.0.1", () => resolve());
    });
    boundPort = (created.address() as AddressInfo).port;
    server = created;
  };
  await listen();

  return {
    get url() {
      return `http://127.0.0.1:${boundPort}/hooks/outbound-sync`;
    },
    get port() {
      return boundPort;
    },
    requests,
    async stop() {
      const running = server;
      server = null;
      if (running === null) return;
      running.closeAllConnections();
      await new Promise<void>((resolve, reject) => running.close((err) => (err ? reject(err) : resolve())));
    },
    start: listen,
  };
}
