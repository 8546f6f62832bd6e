// An OTLP/HTTP receiver in front of the worker's fetch: it decodes every JSON body posted to RECEIVER and keeps
// it with its path and headers. It may refuse connections ("dead") or hold requests open until they are
// aborted ("hang"), as an endpoint that is down or unreachable would.

export const RECEIVER = "https://otlp.example.com/otlp";

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: any;
}

export interface OtlpReceiver {
  readonly received: Received[];
  mode: "answer" | "dead" | "hang";
  readonly attempts: number;
  /** Resolves once a body arrives that `done` accepts (checked against everything received so far). */
  until(done: (received: Received[]) => boolean): Promise<void>;
  restore(): void;
}

export function installOtlpReceiver(): OtlpReceiver {
  const received: Received[] = [];
  const waiters: Array<{ done: (received: Received[]) => boolean; resolve: () => void }> = [];
  const state = { attempts: 0 };
  const original = globalThis.fetch;

  const receiver: OtlpReceiver = {
    received,
    mode: "answer",
    get attempts() {
      return state.attempts;
    },
    until(done) {
      if (done(received)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ done, resolve }));
    },
    restore() {
      globalThis.fetch = original;
    },
  };

  async function receive(request: Request): Promise<Response> {
    state.attempts += 1;
    if (receiver.mode === "dead") throw new TypeError("fetch failed: connection refused");
    if (receiver.mode === "hang") {
      // Settled only by the exporter's own timeout, in the context that sent it (a Durable Object's I/O
      // cannot be settled from the test's).
      return new Promise<Response>((_, reject) => {
        request.signal.addEventListener("abort", () => reject(new Error("the receiver never answered")), { once: true });
      });
    }
    received.push({
      path: new URL(request.url).pathname,
      headers: Object.fromEntries(request.headers),
      body: JSON.parse(await request.text()),
    });
    for (const waiter of [...waiters]) {
      if (waiter.done(received)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
  }

  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : input.toString();
    if (!url.startsWith(RECEIVER)) return original(input, init);
    return receive(new Request(input, init));
  };
  return receiver;
}

/** Every span of every traces body received, flattened. */
export function spansOf(received: Received[]): any[] {
  return received
    .filter((r) => r.path.endsWith("/v1/traces"))
    .flatMap((r) => r.body.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)));
}

/** Every metric of every metrics body received, flattened. */
export function metricsOf(received: Received[]): any[] {
  return received
    .filter((r) => r.path.endsWith("/v1/metrics"))
    .flatMap((r) => r.body.resourceMetrics.flatMap((rm: any) => rm.scopeMetrics.flatMap((sm: any) => sm.metrics)));
}

/** A span's attributes as a plain object. */
export function attributesOf(item: { attributes?: Array<{ key: string; value: Record<string, unknown> }> }): Record<string, unknown> {
  return Object.fromEntries(
    (item.attributes ?? []).map(({ key, value }) => {
      const [kind, raw] = Object.entries(value)[0]!;
      return [key, kind === "intValue" ? Number(raw) : raw];
    }),
  );
}
