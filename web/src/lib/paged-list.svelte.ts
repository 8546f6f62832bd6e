import { asApiError, isAbort, type ApiError } from "./api";
import type { Page } from "../../../worker/schemas/types";

export type PageLoader<T> = (cursor: string | null, signal: AbortSignal) => Promise<Page<T>>;

export type FirstPageState = { kind: "idle" } | { kind: "loading" } | { kind: "ready" } | { kind: "failed"; error: ApiError };
export type MoreState = { kind: "idle" } | { kind: "loading" } | { kind: "failed"; error: ApiError };

// A cursor-paged list: the first page and each "load more" fail and retry separately.
export class PagedList<T> {
  items: T[] = $state([]);
  nextCursor: string | null = $state(null);
  first: FirstPageState = $state({ kind: "idle" });
  more: MoreState = $state({ kind: "idle" });
  #load: PageLoader<T>;
  #controller: AbortController | null = null;
  // The cursor that read the last page and where its items start, so the tail can be read again.
  #tail: { cursor: string | null; start: number } = { cursor: null, start: 0 };
  #refreshing = false;
  #refreshAgain = false;

  constructor(load: PageLoader<T>) {
    this.#load = load;
  }

  ensureLoaded(): void {
    if (this.first.kind === "idle") void this.reload();
  }

  async reload(): Promise<void> {
    const controller = this.#begin();
    this.first = { kind: "loading" };
    this.more = { kind: "idle" };
    try {
      const page = await this.#load(null, controller.signal);
      if (this.#controller !== controller) return;
      this.items = page.data;
      this.nextCursor = page.next_cursor;
      this.#tail = { cursor: null, start: 0 };
      this.first = { kind: "ready" };
    } catch (error) {
      if (isAbort(error) || this.#controller !== controller) return;
      this.first = { kind: "failed", error: asApiError(error) };
    }
  }

  async loadMore(): Promise<void> {
    const cursor = this.nextCursor;
    if (cursor === null || this.more.kind === "loading" || this.first.kind !== "ready") return;
    const controller = this.#begin();
    this.more = { kind: "loading" };
    try {
      const page = await this.#load(cursor, controller.signal);
      if (this.#controller !== controller) return;
      this.#tail = { cursor, start: this.items.length };
      this.items = [...this.items, ...page.data];
      this.nextCursor = page.next_cursor;
      this.more = { kind: "idle" };
    } catch (error) {
      if (isAbort(error) || this.#controller !== controller) return;
      this.more = { kind: "failed", error: asApiError(error) };
    }
  }

  // Reads the last page again for entries added since (a list that grows while a job runs). Calls during a read
  // are folded into one more read; a reload or "load more" meanwhile wins.
  async refreshTail(): Promise<void> {
    const controller = this.#controller;
    if (controller === null || this.first.kind !== "ready" || this.more.kind === "loading") return;
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return;
    }
    this.#refreshing = true;
    try {
      do {
        this.#refreshAgain = false;
        const { cursor, start } = this.#tail;
        const page = await this.#load(cursor, controller.signal);
        if (this.#controller !== controller) return;
        this.items = [...this.items.slice(0, start), ...page.data];
        this.nextCursor = page.next_cursor;
      } while (this.#refreshAgain);
    } catch (error) {
      if (isAbort(error) || this.#controller !== controller) return;
      console.warn("Reading the newest entries failed; the next progress reads again", error);
    } finally {
      this.#refreshing = false;
    }
  }

  // Reads the pages on show again from the start and swaps them in at once: the list stays on screen meanwhile, and
  // keeps what it showed when a read fails. A reload or "load more" meanwhile wins.
  async refresh(): Promise<void> {
    if (this.first.kind !== "ready" || this.more.kind === "loading") return;
    const shown = this.items.length;
    const controller = this.#begin();
    try {
      const items: T[] = [];
      let cursor: string | null = null;
      let tail: { cursor: string | null; start: number } = { cursor, start: 0 };
      let next: string | null;
      do {
        const page: Page<T> = await this.#load(cursor, controller.signal);
        if (this.#controller !== controller) return;
        tail = { cursor, start: items.length };
        items.push(...page.data);
        next = page.next_cursor;
        cursor = next;
      } while (cursor !== null && items.length < shown);
      this.items = items;
      this.nextCursor = next;
      this.#tail = tail;
    } catch (error) {
      if (isAbort(error) || this.#controller !== controller) return;
      console.warn("Reading the list again failed; it shows what it read before", error);
    }
  }

  #begin(): AbortController {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    return controller;
  }
}
