import { describe, expect, it } from "vitest";
import { etaWords } from "../../../web/src/lib/eta-words";

const NOW = Date.UTC(2026, 11, 6, 4, 0, 0);
const finishingIn = (ms: number) => ({ remaining_ms: ms, finish_at: new Date(NOW + ms).toISOString() });

describe("ETA words", () => {
  it("say about how many minutes are left, rounded", () => {
    expect(etaWords(finishingIn(3 * 60_000 + 10_000), NOW)).toBe("about 3 min left");
    expect(etaWords(finishingIn(90_000), NOW)).toBe("about 2 min left");
  });

  it("say hours and minutes for a long run, and less than a minute at the end", () => {
    expect(etaWords(finishingIn(80 * 60_000), NOW)).toBe("about 1 h 20 min left");
    expect(etaWords(finishingIn(120 * 60_000), NOW)).toBe("about 2 h left");
    expect(etaWords(finishingIn(40_000), NOW)).toBe("less than a minute left");
  });

  it("count down from finish_at with the browser's clock, not from remaining_ms", () => {
    const eta = finishingIn(10 * 60_000);
    expect(etaWords(eta, NOW + 5 * 60_000)).toBe("about 5 min left");
    expect(etaWords(eta, NOW + 11 * 60_000)).toBe("less than a minute left");
  });
});
