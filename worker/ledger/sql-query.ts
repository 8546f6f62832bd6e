// A statement and its parameters as a pure value, so a test can read its query plan without running it.
export interface SqlQuery {
  sql: string;
  params: unknown[];
}
