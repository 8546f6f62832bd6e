import type { ValidationDetail } from "../../../worker/schemas/types";

export interface PlacedIssues {
  // Messages per field path the form shows, e.g. "config.mapping[2].destination".
  byField: Record<string, string[]>;
  // Issues no shown field can claim; the form lists them at the top.
  unplaced: ValidationDetail[];
  // For each issue, in order, the shown field that got it (null: unplaced), so a summary links to that field.
  owners: Array<string | null>;
  // How many fields need attention: a field with two problems counts once.
  fieldCount: number;
}

interface ErrorLike {
  details: readonly ValidationDetail[];
}

// The form fields an error names, whatever its status: every problem of every field (a 400 lists each, a
// name_taken 409 names "name"). A path parameter or header (a 404's id) is no form field: the message tells it.
export function validationIssues(error: ErrorLike | null | undefined): ValidationDetail[] {
  return error ? error.details.filter((issue) => issue.in === undefined || issue.in === "body") : [];
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
  const owners: Array<string | null> = [];
  for (const issue of issues) {
    let owner: string | null = null;
    for (const field of fields) {
      if (contains(field, issue.path) && (owner === null || field.length > owner.length)) owner = field;
    }
    owners.push(owner);
    if (owner === null) {
      unplaced.push(issue);
      continue;
    }
    // A message about a header or map key inside a field names that key, so it still reads on its own.
    const inner = issue.path.slice(owner.length).replace(/^\./, "");
    const message = inner === "" ? issue.message : `${inner}: ${issue.message}`;
    (byField[owner] ??= []).push(message);
  }
  const fieldCount = Object.keys(byField).length + new Set(unplaced.map((issue) => issue.path)).size;
  return { byField, unplaced, owners, fieldCount };
}

// A DOM id for the field at an API path, so the error summary can link to it.
export function fieldId(path: string): string {
  return `field-${path.replace(/[^A-Za-z0-9]+/g, "-").replace(/-+$/, "")}`;
}
