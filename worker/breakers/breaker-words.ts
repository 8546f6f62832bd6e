// What a job held back by a destination breaker says, in the API, the live feed and its log. Pure.

export function waitingReason(host: string, until: number | null): string {
  return `Paused: destination ${host} is failing; next probe at ${until === null ? "soon" : new Date(until).toISOString()}`;
}

export function resumedLine(host: string): string {
  return `Resumed: destination ${host} answers again`;
}
