// What the process exit status means, so a CI step can tell a refused request from a run that failed.
export const EXIT = {
  ok: 0,
  // The API refused the request or could not be reached.
  error: 1,
  // The command line itself is wrong: unknown command or option, missing value.
  usage: 2,
  runFailed: 3,
  runCanceled: 4,
  // `runs watch --timeout` ran out before the run finished.
  watchTimedOut: 5,
  // The run completed, but with more failed records than `--max-failed-records` allows.
  recordsFailed: 6,
  // `config plan --exit-code`: applying the document would change something (the configuration drifted from it).
  planHasChanges: 7,
  // `connections lookup`: the serial is not in the destination (or, with --source, the source).
  lookupMissing: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
