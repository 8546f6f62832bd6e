import { describe, expect, it } from "vitest";
import { Resource } from "../../../web/src/lib/resource.svelte";

// A page re-reads its list on a timer (freshness deadlines, finished runs) while the operator changes a row; the
// change's answer must not be put back by a read that left before the change was made.
function controlledReads() {
  const reads: Array<{ resolve: (value: string) => void; signal: AbortSignal }> = [];
  const resource = new Resource<string>(
    (signal) =>
      new Promise<string>((resolve) => {
        reads.push({ resolve, signal });
      }),
  );
  return { resource, reads };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe("a remote value changed by the page", () => {
  it("drops a read that was on its way when the change was confirmed, and reads again", async () => {
    const { resource, reads } = controlledReads();
    void resource.reload();
    reads[0]!.resolve("dry run off");
    await settle();

    void resource.reload();
    expect(resource.state).toEqual({ kind: "ready", data: "dry run off", refreshing: true });
    resource.confirm("dry run on");
    expect(reads).toHaveLength(3);
    expect(reads[1]!.signal.aborted).toBe(true);

    // The earlier read answers with what it saw before the change: not shown.
    reads[1]!.resolve("dry run off");
    await settle();
    expect(resource.state.kind === "ready" && resource.state.data).toBe("dry run on");

    reads[2]!.resolve("dry run on");
    await settle();
    expect(resource.state).toEqual({ kind: "ready", data: "dry run on", refreshing: false });
  });

  it("reads nothing more when no read was on its way", async () => {
    const { resource, reads } = controlledReads();
    void resource.reload();
    reads[0]!.resolve("v1");
    await settle();
    resource.confirm("v2");
    expect(reads).toHaveLength(1);
    expect(resource.state).toEqual({ kind: "ready", data: "v2", refreshing: false });
  });
});
