// The test-count floor: a whole `npm test` must not lose tests silently. The recorded count lives in a
// checked-in file; lowering it (with a note saying why) and raising it are both done by hand.
import { readFileSync } from "node:fs";

export const FLOOR_FILE = "test/test-count.json";

export function readFloor(file = FLOOR_FILE) {
  const recorded = JSON.parse(readFileSync(file, "utf8"));
  if (!Number.isInteger(recorded.count) || typeof recorded.note !== "string" || recorded.note.trim() === "") {
    throw new Error(`${file} needs an integer "count" and a "note" saying where the count comes from`);
  }
  return recorded;
}

// total: tests and checks that ran (passed, failed or skipped). Returns a failure line, or null, and what to print.
export function compareWithFloor(total, recorded, file = FLOOR_FILE) {
  if (total < recorded.count) {
    return {
      failure: `test count (${total} < ${recorded.count}, see ${file})`,
      message:
        `${total} tests ran (passed, failed or skipped), fewer than the ${recorded.count} recorded in ${file}.\n` +
        `If tests were removed on purpose, set "count" there to ${total} and say why in "note".`,
    };
  }
  if (total > recorded.count) {
    return { failure: null, message: `${total} tests ran, more than the ${recorded.count} recorded in ${file}: raise "count" there to ${total} by hand.` };
  }
  return { failure: null, message: null };
}
