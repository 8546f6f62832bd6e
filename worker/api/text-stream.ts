import { log } from "../observability/log";

export interface TextStreamOptions<T> {
  items: AsyncGenerator<T>;
  render: (item: T) => string;
  header?: string;
}

// About 64 KB of text per enqueue: few, large writes, while at most that much waits in memory.
const BATCH_CHARS = 64 * 1024;

/** Streams every item as text, reading on only when the client has taken what was sent. */
export function textStream<T>(options: TextStreamOptions<T>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let text = options.header ?? "";
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const next = await options.items.next();
          if (next.done) {
            if (text.length > 0) controller.enqueue(encoder.encode(text));
            controller.close();
            return;
          }
          text += options.render(next.value);
          if (text.length >= BATCH_CHARS) {
            controller.enqueue(encoder.encode(text));
            text = "";
            return;
          }
        }
      } catch (err) {
        // The status line is already sent: the client sees a truncated body, the logs say why.
        log.error("export stream failed", { error: err });
        controller.error(err);
      }
    },
    async cancel() {
      await options.items.return(undefined);
    },
  });
}

/** An export asked for as CSV: `format=csv`, or no format and an Accept header naming text/csv. */
export function asksForCsv(format: string | undefined, accept: string | undefined): boolean {
  return format === "csv" || (format === undefined && (accept ?? "").includes("text/csv"));
}

/** A streamed CSV export, downloaded as `filename`. */
export function csvResponse(stream: ReadableStream<Uint8Array>, filename: string): Response {
  return new Response(stream, {
    status: 200,
    headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${filename}"` },
  });
}
