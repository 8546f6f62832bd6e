/// <reference types="node" />
import type { Miniflare as MiniflareInstance } from "miniflare";

// A session on workerd's V8 inspector for the worker's isolate (start the worker with an inspectorPort): the Durable
// Objects of the worker's script run in that isolate too, so what it reports covers the run's coordinator.

export interface InspectorSession {
  call<T>(method: string, params?: Record<string, unknown>): Promise<T>;
  close(): void;
}

export async function openInspector(mf: MiniflareInstance, workerName: string): Promise<InspectorSession> {
  const base = await mf.getInspectorURL();
  const targets = (await (await fetch(`http://${base.host}/json`)).json()) as Array<{ id: string; title?: string; webSocketDebuggerUrl?: string }>;
  const target = targets.find((t) => t.title?.includes(workerName) || t.id.includes(workerName)) ?? targets[0];
  if (target === undefined) throw new Error(`no inspector target at ${base.host}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl ?? `ws://${base.host}/${target.id}`);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(`inspector ${base.host}: could not connect`)), { once: true });
  });
  let nextId = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id === undefined) return;
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  return {
    call: <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve) => {
        const id = nextId++;
        waiting.set(id, (result) => resolve(result as T));
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}
