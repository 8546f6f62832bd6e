import type { ValidationDetail } from "../../../worker/api/types";

export interface PlacedIssues {
  // Messages per field path the form shows, e.g. "config.mapping[2].destination".
  byField: Record<string, string[]>;
  // Issues no shown field can claim; the form lists them at the top.
  unplaced: ValidationDetail[];
}

function isDetail(value: unknown): value is ValidationDetail {
  return (
    typeof value === "object" &&
    value !== null &&
    "path" in value &&
    typeof value.path === "string" &&
    "message" in value &&
    typeof value.message === "string"
  );
}

interface ErrorLike {
  code: string;
  details: unknown;
}

interface MessageLike extends ErrorLike {
  message: string;
}

// The per-field details of a 400 validation_failed answer, or the one field a conflict names
// (name_taken answers { path: "name" }); empty for any other error.
export function validationIssues(error: MessageLike | null | undefined): ValidationDetail[] {
  if (!error) return [];
  if (error.code === "validation_failed" && Array.isArray(error.details)) return error.details.filter(isDetail);
  const details = error.details;
  if (typeof details === "object" && details !== null && "path" in details && typeof details.path === "string") {
    return [{ path: details.path, message: error.message }];
  }
  return [];
}

// "config.fetch" contains "config.fetch.url" and "config.fetch[0]" but not "config.fetchers".
function contains(parent: string, path: string): boolean {
  if (path === parent) return true;
  if (!path.startsWith(parent)) return false;
  const next = path[parent.length];
  return next === "." || next === "[";
}

// Each issue goes to the deepest shown field that is, or contains, its path.
export function placeIssues(issues: readonly ValidationDetail[], fields: readonly string[]): PlacedIssues {
  const byField: Record<string, string[]> = {};
  const unplaced: ValidationDetail[] = [];
  for (const issue of issues) {
    let owner: string | null = null;
    for (const field of fields) {
      if (contains(field, issue.path) && (owner === null || field.length > owner.length)) owner = field;
    }
    if (owner === null) {
      unplaced.push(issue);
      continue;
    }
    // A message about a header or map key inside a field names that key, so it still reads on its own.
    const inner = issue.path.slice(owner.length).replace(/^\./, "");
    const message = inner === "" ? issue.message : `${inner}: ${issue.message}`;
    (byField[owner] ??= []).push(message);
  }
  return { byField, unplaced };
}

// A DOM id for the field at an API path, so the error summary can link to it.
export function fieldId(path: string): string {
  return `field-${path.replace(/[^A-Za-z0-9]+/g, "-").replace(/-+$/, "")}`;
}
