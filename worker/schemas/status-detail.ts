// A completed job or run whose records partly failed is not a plain success: every place that shows its status
// (API, live feed, alerts, MCP, the web's badges) shows this line instead of the bare status word.
export function statusDetail(status: string | null, failedRecords: number): string | null {
  if (status !== "completed" || failedRecords <= 0) return null;
  return `Completed with ${failedRecords} failed ${failedRecords === 1 ? "record" : "records"}`;
}
