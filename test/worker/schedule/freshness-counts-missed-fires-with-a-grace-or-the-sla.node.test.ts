import { describe, expect, it } from "vitest";
import { freshnessOf, type FreshnessFacts } from "../../../worker/schedule/freshness";

// A Monday.
const at = (iso: string) => Date.parse(`2026-03-02T${iso}Z`);
const on = (day: string, time: string) => Date.parse(`2026-03-${day}T${time}Z`);

function facts(overrides: Partial<FreshnessFacts> = {}): FreshnessFacts {
  return { schedule: "0 * * * *", enabled: true, paused: false, slaMinutes: null, lastSuccessAt: null, since: at("00:00:00"), ...overrides };
}

const stateAt = (f: FreshnessFacts, now: number) => freshnessOf(f, now)?.state ?? null;

describe("freshness from an hourly schedule", () => {
  // Succeeded at 10:03 after the 10:00 fire: the 11:00 run is due, with a 15-minute grace (a quarter hour).
  const hourly = facts({ lastSuccessAt: at("10:03:00") });

  it("is on time through the next fire and its grace, so a run in progress at its fire time is not Delayed", () => {
    expect(stateAt(hourly, at("10:59:00"))).toBe("on_time");
    expect(stateAt(hourly, at("11:10:00"))).toBe("on_time");
    expect(stateAt(hourly, at("11:15:00"))).toBe("on_time");
    expect(freshnessOf(hourly, at("11:00:00"))).toEqual({
      state: "on_time",
      lastSuccessAt: at("10:03:00"),
      expectedBy: at("11:15:00"),
      overdueAt: at("12:15:00"),
      slaMinutes: null,
    });
  });

  it("is Delayed once one expected success is missing and Overdue once two are", () => {
    expect(stateAt(hourly, at("11:15:01"))).toBe("delayed");
    expect(stateAt(hourly, at("12:15:00"))).toBe("delayed");
    expect(stateAt(hourly, at("12:15:01"))).toBe("overdue");
    expect(stateAt(hourly, at("23:00:00"))).toBe("overdue");
  });

  it("is on time again once the success arrives", () => {
    expect(stateAt({ ...hourly, lastSuccessAt: at("12:20:00") }, at("12:30:00"))).toBe("on_time");
  });

  it("counts a success exactly at a fire time as that fire's, expecting the next one", () => {
    expect(freshnessOf(facts({ lastSuccessAt: at("10:00:00") }), at("10:30:00"))?.expectedBy).toBe(at("11:15:00"));
  });

  it("counts from creation or the last schedule change when nothing has succeeded since", () => {
    const fresh = facts({ lastSuccessAt: at("01:00:00"), since: at("09:30:00") });
    expect(freshnessOf(fresh, at("10:00:00"))?.expectedBy).toBe(at("10:15:00"));
    expect(stateAt(fresh, at("10:16:00"))).toBe("delayed");
    expect(stateAt(facts({ since: at("09:30:00") }), at("11:16:00"))).toBe("overdue");
  });
});

describe("freshness from other schedules", () => {
  it("gives an every-15-minutes schedule the 5-minute floor of grace", () => {
    const f = facts({ schedule: "*/15 * * * *", lastSuccessAt: at("10:01:00") });
    expect(freshnessOf(f, at("10:10:00"))).toMatchObject({ state: "on_time", expectedBy: at("10:20:00"), overdueAt: at("10:35:00") });
    expect(stateAt(f, at("10:20:01"))).toBe("delayed");
    expect(stateAt(f, at("10:35:01"))).toBe("overdue");
  });

  it("gives a daily schedule the 1-hour ceiling of grace", () => {
    const f = facts({ schedule: "30 2 * * *", lastSuccessAt: on("02", "02:40:00") });
    expect(freshnessOf(f, on("02", "12:00:00"))).toMatchObject({ state: "on_time", expectedBy: on("03", "03:30:00"), overdueAt: on("04", "03:30:00") });
    expect(stateAt(f, on("03", "03:31:00"))).toBe("delayed");
    expect(stateAt(f, on("04", "03:31:00"))).toBe("overdue");
  });

  it("does not count a weekday-only schedule's weekend as missed runs", () => {
    // Friday 6 March 09:05; the next fires are Monday 9 and Tuesday 10 March at 09:00.
    const f = facts({ schedule: "0 9 * * 1-5", lastSuccessAt: on("06", "09:05:00") });
    expect(stateAt(f, on("08", "23:00:00"))).toBe("on_time");
    expect(freshnessOf(f, on("08", "23:00:00"))).toMatchObject({ expectedBy: on("09", "10:00:00"), overdueAt: on("10", "10:00:00") });
    expect(stateAt(f, on("09", "10:00:01"))).toBe("delayed");
    expect(stateAt(f, on("10", "10:00:01"))).toBe("overdue");
  });
});

describe("freshness with an SLA", () => {
  it("is due SLA minutes after the last success, without grace, and Overdue after twice that", () => {
    const f = facts({ schedule: "*/15 * * * *", slaMinutes: 90, lastSuccessAt: at("10:00:00") });
    expect(freshnessOf(f, at("11:00:00"))).toEqual({
      state: "on_time",
      lastSuccessAt: at("10:00:00"),
      expectedBy: at("11:30:00"),
      overdueAt: at("13:00:00"),
      slaMinutes: 90,
    });
    expect(stateAt(f, at("11:30:01"))).toBe("delayed");
    expect(stateAt(f, at("13:00:01"))).toBe("overdue");
  });

  it("starts from the SLA's own change when that is later than the last success", () => {
    const f = facts({ slaMinutes: 30, lastSuccessAt: at("08:00:00"), since: at("10:00:00") });
    expect(freshnessOf(f, at("10:10:00"))).toMatchObject({ state: "on_time", expectedBy: at("10:30:00") });
  });
});

describe("no freshness", () => {
  it("for an unscheduled, disabled, paused or never-firing connection", () => {
    const now = at("12:00:00");
    expect(freshnessOf(facts({ schedule: null }), now)).toBeNull();
    expect(freshnessOf(facts({ schedule: null, slaMinutes: 60 }), now)).toBeNull();
    expect(freshnessOf(facts({ enabled: false }), now)).toBeNull();
    // Two hours past its last success, it would be Overdue: paused, it promises none until it is resumed.
    expect(stateAt(facts({ lastSuccessAt: at("09:03:00") }), now)).toBe("overdue");
    expect(freshnessOf(facts({ lastSuccessAt: at("09:03:00"), paused: true }), now)).toBeNull();
    expect(freshnessOf(facts({ schedule: "not a cron" }), now)).toBeNull();
    // 30 February never comes.
    expect(freshnessOf(facts({ schedule: "0 0 30 2 *" }), now)).toBeNull();
  });
});
