// Everything the CLI touches outside itself, passed in so tests can run it against a loopback server.
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  fetch: (request: Request) => Promise<Response>;
  // Returns early, and quietly, when the signal aborts.
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  // Opens a WebSocket (the runtime's own); absent where there is none (Node 20), and a watch then only polls.
  openSocket?(url: string, protocols: string[]): LiveSocket;
  // Milliseconds on a clock that only moves forward: a watch's --timeout counts the API's answers too (default:
  // performance.now()).
  now?(): number;
  // "-" reads standard input.
  readText(path: string): Promise<string>;
}

// What a watch uses of a WebSocket: the standard one's events and close().
export interface LiveSocket {
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close" | "error", listener: () => void): void;
  close(): void;
}
