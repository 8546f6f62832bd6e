import type { Paged } from "../ledger/run-reads";

export interface PagedStreamOptions<T> {
  first: Paged<T>;
  next: (cursor: string) => Promise<Paged<T>>;
  render: (item: T) => string;
  header?: string;
}

/** Streams every page as text, reading the next page only when the client has taken the last one. */
export function pagedTextStream<T>(options: PagedStreamOptions<T>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let page: Paged<T> | null = options.first;
  let cursor: string | null = null;
  let headerSent = options.header === undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (page === null) {
          if (cursor === null) {
            controller.close();
            return;
          }
          page = await options.next(cursor);
        }
        let text = headerSent ? "" : (options.header ?? "");
        headerSent = true;
        for (const item of page.data) text += options.render(item);
        cursor = page.nextCursor;
        page = null;
        if (text.length > 0) controller.enqueue(encoder.encode(text));
        if (cursor === null) controller.close();
      } catch (err) {
        // The status line is already sent: the client sees a truncated body, the logs say why.
        console.error("export stream failed", err);
        controller.error(err);
      }
    },
  });
}
