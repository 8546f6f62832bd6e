// The failing tests a runner's JSON report names, one line each: "file › describe › test".
// npm test prints them last because CI keeps only the end of the output.
import { relative } from "node:path";

export function vitestFailures(report, root) {
  const names = [];
  for (const file of report.testResults ?? []) {
    const path = relative(root, file.name);
    const failing = (file.assertionResults ?? []).filter((test) => test.status === "failed");
    for (const test of failing) names.push(`${path} › ${test.fullName}`);
    // A file that failed to load has no failing test of its own.
    if (failing.length === 0 && file.status === "failed") names.push(`${path} › ${firstLine(file.message)}`);
  }
  return names;
}

export function playwrightFailures(report) {
  const names = [];
  const walk = (suite, titles) => {
    const here = suite.title && !suite.title.endsWith(".ts") ? [...titles, suite.title] : titles;
    for (const spec of suite.specs ?? []) {
      if (!spec.ok) names.push(`${spec.file}:${spec.line} › ${[...here, spec.title].join(" › ")}`);
    }
    for (const child of suite.suites ?? []) walk(child, here);
  };
  for (const suite of report.suites ?? []) walk(suite, []);
  return names;
}

function firstLine(text) {
  return String(text ?? "failed to run")
    .trim()
    .split("\n")[0];
}
