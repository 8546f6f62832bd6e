import type { Eta } from "./run-types";

// "about 3 min left", counted down with the browser's clock to the server's expected finish (finish_at), so a
// message held in a feed's snapshot reads as fresh as one just sent.
export function etaWords(eta: NonNullable<Eta>, now: number): string {
  const left = Date.parse(eta.finish_at) - now;
  if (left < 60_000) return "less than a minute left";
  const minutes = Math.round(left / 60_000);
  if (minutes < 60) return `about ${minutes} min left`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `about ${hours} h left` : `about ${hours} h ${rest} min left`;
}
