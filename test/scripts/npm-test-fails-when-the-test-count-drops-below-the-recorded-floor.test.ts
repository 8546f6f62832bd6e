import { describe, expect, it } from "vitest";
import { compareWithFloor, FLOOR_FILE, readFloor } from "../../scripts/test-count-floor.mjs";

const recorded = { count: 100, note: "from a fresh clone" };

describe("npm test fails when the test count drops below the recorded floor", () => {
  it("fails a run with fewer tests, naming the file and the count to write there", () => {
    const { failure, message } = compareWithFloor(99, recorded);
    expect(failure).toBe(`test count (99 < 100, see ${FLOOR_FILE})`);
    expect(message).toContain(`fewer than the 100 recorded in ${FLOOR_FILE}`);
    expect(message).toContain('set "count" there to 99 and say why in "note"');
  });

  it("passes a run with as many tests, silently", () => {
    expect(compareWithFloor(100, recorded)).toEqual({ failure: null, message: null });
  });

  it("passes a run with more tests and says the floor is raised by hand", () => {
    const { failure, message } = compareWithFloor(103, recorded);
    expect(failure).toBeNull();
    expect(message).toContain(`raise "count" there to 103 by hand`);
  });

  it("reads the checked-in floor, which carries a count and a note", () => {
    const floor = readFloor();
    expect(floor.count).toBeGreaterThan(0);
    expect(floor.note.length).toBeGreaterThan(0);
  });
});
