// Readings for the schedules people actually write; anything else is shown as the raw expression.

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"] as const;
const WEEKDAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

// A field as a sorted list of values, or null when it is "*" (every value) or too irregular to read.
type FieldValues = number[] | "any" | null;

function parseNumber(token: string, names: readonly string[], offset: number): number | null {
  if (/^\d{1,2}$/.test(token)) return Number(token);
  const index = names.indexOf(token.toUpperCase());
  return index === -1 ? null : index + offset;
}

function parseField(field: string, min: number, max: number, names: readonly string[] = [], nameOffset = 0): FieldValues {
  if (field === "*") return "any";
  const values = new Set<number>();
  for (const part of field.split(",")) {
    const range = /^([^-/]+)(?:-([^-/]+))?$/.exec(part);
    if (!range) return null;
    const start = parseNumber(range[1]!, names, nameOffset);
    const end = range[2] === undefined ? start : parseNumber(range[2], names, nameOffset);
    if (start === null || end === null || start > end || start < min || end > max) return null;
    for (let value = start; value <= end; value++) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

const pad = (value: number) => String(value).padStart(2, "0");

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

function ordinal(day: number): string {
  const tens = day % 100;
  if (tens >= 11 && tens <= 13) return `${day}th`;
  switch (day % 10) {
    case 1:
      return `${day}st`;
    case 2:
      return `${day}nd`;
    case 3:
      return `${day}rd`;
    default:
      return `${day}th`;
  }
}

function weekdayPhrase(days: readonly number[]): string {
  // 0 and 7 are both Sunday.
  const normalised = [...new Set(days.map((day) => day % 7))].sort((a, b) => a - b);
  const key = normalised.join(",");
  if (key === "1,2,3,4,5") return "every weekday (Monday to Friday)";
  if (key === "0,6") return "every Saturday and Sunday";
  return `every ${joinWords(normalised.map((day) => WEEKDAYS[day]!))}`;
}

function stepOf(field: string, max: number): number | null {
  const match = /^(?:\*|0)\/(\d{1,2})$/.exec(field);
  if (!match) return null;
  const step = Number(match[1]);
  return step >= 1 && step <= max ? step : null;
}

// The day part of a schedule whose minute and hour are fixed: "every day", "every Monday", "on the 1st of every month".
function dayPhrase(dayOfMonth: string, month: string, dayOfWeek: string): string | null {
  const doms = parseField(dayOfMonth, 1, 31);
  const months = parseField(month, 1, 12, MONTH_NAMES, 1);
  const dows = parseField(dayOfWeek, 0, 7, WEEKDAY_NAMES, 0);
  if (doms === null || months === null || dows === null) return null;

  if (doms === "any" && months === "any") return dows === "any" ? "every day" : weekdayPhrase(dows);
  if (dows !== "any") return null; // day-of-month and day-of-week together mean "either": too subtle for one phrase
  if (doms === "any") return null;
  const dayWords = joinWords(doms.map(ordinal));
  if (months === "any") return `on the ${dayWords} of every month`;
  if (doms.length === 1 && months.length === 1) return `every year on ${doms[0]} ${MONTHS[months[0]! - 1]}`;
  return `on the ${dayWords} of ${joinWords(months.map((m) => MONTHS[m - 1]!))}`;
}

export function describeCron(expression: string): string {
  const raw = expression.trim().replace(/\s+/g, " ");
  const fields = raw.split(" ");
  if (fields.length !== 5) return raw;
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  const everyDay = dayOfMonth === "*" && month === "*" && dayOfWeek === "*";

  if (everyDay && hour === "*") {
    if (minute === "*") return "every minute";
    const step = stepOf(minute, 59);
    if (step !== null) return step === 1 ? "every minute" : `every ${step} minutes`;
    const minutes = parseField(minute, 0, 59);
    if (Array.isArray(minutes)) {
      if (minutes.length === 1 && minutes[0] === 0) return "every hour, on the hour";
      return `every hour at ${joinWords(minutes.map((m) => `:${pad(m)}`))}`;
    }
    return raw;
  }

  const minutes = parseField(minute, 0, 59);
  if (!Array.isArray(minutes) || minutes.length !== 1) return raw;
  const at = minutes[0]!;

  const hourStep = stepOf(hour, 23);
  if (everyDay && hourStep !== null) {
    const past = at === 0 ? "on the hour" : `at :${pad(at)}`;
    return hourStep === 1 ? `every hour, ${past}` : `every ${hourStep} hours, ${past} (UTC)`;
  }

  const hours = parseField(hour, 0, 23);
  if (!Array.isArray(hours) || hours.length > 6) return raw;
  const days = dayPhrase(dayOfMonth, month, dayOfWeek);
  if (days === null) return raw;
  return `${days} at ${joinWords(hours.map((h) => `${pad(h)}:${pad(at)}`))} UTC`;
}
