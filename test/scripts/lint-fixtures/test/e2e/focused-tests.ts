import { describe, it, test } from "vitest";

describe.only("a focused suite", () => {
  it.only("a focused test", () => {});
});
test.only("a focused test", () => {});
test.describe.only("a focused Playwright suite", () => {});
