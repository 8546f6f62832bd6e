import { describe, expect, it } from "vitest";
import { playwrightFailures, vitestFailures } from "../../scripts/failing-tests.mjs";

describe("npm test names each failing test on its own line", () => {
  it("names a failing vitest test by its file and full name, and skips the passing ones", () => {
    const report = {
      testResults: [
        {
          name: "/repo/test/worker/runs/a.test.ts",
          status: "failed",
          message: "",
          assertionResults: [
            { status: "passed", fullName: "runs keeps counting" },
            { status: "failed", fullName: "runs waits the Retry-After it is asked" },
          ],
        },
        { name: "/repo/test/web/b.test.ts", status: "passed", message: "", assertionResults: [{ status: "passed", fullName: "b" }] },
      ],
    };
    expect(vitestFailures(report, "/repo")).toEqual(["test/worker/runs/a.test.ts › runs waits the Retry-After it is asked"]);
  });

  it("names a vitest file that failed to load by the first line of its error", () => {
    const report = {
      testResults: [{ name: "/repo/test/c.test.ts", status: "failed", message: "SyntaxError: bad\n    at line 3", assertionResults: [] }],
    };
    expect(vitestFailures(report, "/repo")).toEqual(["test/c.test.ts › SyntaxError: bad"]);
  });

  it("names a failing Playwright spec by file, line and its describe titles, not its file's suite", () => {
    const report = {
      suites: [
        {
          title: "sign-in.spec.ts",
          file: "sign-in.spec.ts",
          specs: [{ title: "signs in", ok: true, file: "sign-in.spec.ts", line: 5 }],
          suites: [
            {
              title: "as a viewer",
              file: "sign-in.spec.ts",
              specs: [{ title: "sees the controls disabled", ok: false, file: "sign-in.spec.ts", line: 41 }],
            },
          ],
        },
      ],
    };
    expect(playwrightFailures(report)).toEqual(["sign-in.spec.ts:41 › as a viewer › sees the controls disabled"]);
  });

  it("names nothing when every test passed", () => {
    expect(vitestFailures({ testResults: [] }, "/repo")).toEqual([]);
    expect(playwrightFailures({ suites: [] })).toEqual([]);
  });
});
