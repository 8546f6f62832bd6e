// Everything the CLI touches outside itself, passed in so tests can run it against a loopback server.
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  fetch: (request: Request) => Promise<Response>;
  sleep(ms: number): Promise<void>;
  // Milliseconds on a clock that only moves forward: a watch's --timeout counts the API's answers too (default:
  // performance.now()).
  now?(): number;
  // "-" reads standard input.
  readText(path: string): Promise<string>;
}
