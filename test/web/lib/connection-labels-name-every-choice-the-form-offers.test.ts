import { describe, expect, it } from "vitest";
import {
  ACTION_LABELS,
  FETCH_MODE_LABELS,
  FORMATTER_LABELS,
  ON_NULL_LABELS,
  optionsOf,
  PAGINATION_LABELS,
  SOURCE_KIND_LABELS,
} from "../../../web/src/lib/connection-labels";

describe("the connection form's choices", () => {
  it("offer each value with its label, in the order the tables list them", () => {
    expect(optionsOf(PAGINATION_LABELS)).toEqual([
      { value: "none", label: "None" },
      { value: "page", label: "Page number" },
      { value: "offset", label: "Offset and limit" },
      { value: "cursor", label: "Cursor" },
      { value: "keyset", label: "After the last record's key" },
      { value: "link", label: "Next link" },
      { value: "range", label: "Byte ranges (one file)" },
    ]);
    expect(optionsOf(ACTION_LABELS).map((option) => option.label)).toEqual(["Update if changed", "Always write", "Never (compare only)"]);
    expect(optionsOf(ON_NULL_LABELS).map((option) => option.value)).toEqual(["skip", "write_null"]);
  });

  it("explain the choices whose names alone do not say what they do", () => {
    expect(FORMATTER_LABELS.map).toBe("map (enum table)");
    expect(FORMATTER_LABELS.template).toBe('template ("{a} {b}")');
    expect(SOURCE_KIND_LABELS.dataset).toBe("Dataset (records pushed through the API)");
    expect(FETCH_MODE_LABELS.per_serial).toBe("Per serial (GET a URL template with {serial})");
  });
});
