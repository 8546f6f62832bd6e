// Everything the CLI touches outside itself, passed in so tests can run it against a loopback server.
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  fetch: (request: Request) => Promise<Response>;
  sleep(ms: number): Promise<void>;
  // "-" reads standard input.
  readText(path: string): Promise<string>;
}
