import { describe, expect, it, vi } from "vitest";
import { PagedList } from "../../../web/src/lib/paged-list.svelte";
import type { Page } from "../../../worker/schemas/types";

// A list of letters in pages of two; `version` marks which read served them.
function letters(total: number) {
  const state = { version: 1, reads: [] as Array<string | null>, fail: false };
  const load = async (cursor: string | null): Promise<Page<string>> => {
    state.reads.push(cursor);
    if (state.fail) throw new Error("offline");
    const start = cursor === null ? 0 : Number(cursor);
    const data = Array.from({ length: Math.min(2, total - start) }, (_, i) => `${String.fromCharCode(97 + start + i)}${state.version}`);
    return { data, next_cursor: start + 2 < total ? String(start + 2) : null };
  };
  return { list: new PagedList<string>(load), state };
}

describe("a paged list read again", () => {
  it("reads as many pages as it shows, from the start, and swaps them in at once", async () => {
    const { list, state } = letters(5);
    await list.reload();
    await list.loadMore();
    expect(list.items).toEqual(["a1", "b1", "c1", "d1"]);

    state.version = 2;
    state.reads = [];
    const reading = list.refresh();
    expect(list.first.kind).toBe("ready");
    expect(list.items).toEqual(["a1", "b1", "c1", "d1"]);
    await reading;
    expect(state.reads).toEqual([null, "2"]);
    expect(list.items).toEqual(["a2", "b2", "c2", "d2"]);
    expect(list.nextCursor).toBe("4");

    // Its tail is the last page read, so "load more" goes on from there.
    await list.loadMore();
    expect(list.items).toEqual(["a2", "b2", "c2", "d2", "e2"]);
  });

  it("keeps what it showed when the read fails", async () => {
    const { list, state } = letters(3);
    await list.reload();
    state.fail = true;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await list.refresh();
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
    expect(list.items).toEqual(["a1", "b1"]);
    expect(list.first.kind).toBe("ready");
  });

  it("does nothing before the first page has loaded", async () => {
    const { list, state } = letters(3);
    await list.refresh();
    expect(state.reads).toEqual([]);
    expect(list.first.kind).toBe("idle");
  });
});
