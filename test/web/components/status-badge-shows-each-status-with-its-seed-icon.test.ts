import "@testing-library/svelte/vitest";
import { render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import StatusBadge from "../../../web/src/components/StatusBadge.svelte";
import StatusLegend from "../../../web/src/components/StatusLegend.svelte";
import { STATUSES } from "../../../web/src/lib/statuses";

const SEED = {
  pending: { label: "Pending", icon: "clock", spoken: "yellow clock" },
  running: { label: "Running", icon: "spinner", spoken: "blue spinner" },
  completed: { label: "Completed", icon: "check", spoken: "green check" },
  failed: { label: "Failed", icon: "x", spoken: "red X" },
  canceled: { label: "Canceled", icon: "dash", spoken: "grey dash" },
} as const;

describe("StatusBadge", () => {
  it.each(STATUSES)("names %s in words with the seed's icon", (status) => {
    render(StatusBadge, { status });

    const label = screen.getByText(SEED[status].label);
    const badge = label.closest("[data-status]");
    expect(badge?.getAttribute("data-status")).toBe(status);
    expect(badge?.getAttribute("data-icon")).toBe(SEED[status].icon);
    expect(badge?.getAttribute("title")).toBe(SEED[status].spoken);
    expect(badge?.querySelector("svg")?.getAttribute("aria-hidden")).toBe("true");
  });

  it("keeps the label for screen readers when only the icon shows", () => {
    render(StatusBadge, { status: "failed", iconOnly: true });

    const label = screen.getByText("Failed");
    expect(label.classList.contains("visually-hidden")).toBe(true);
    expect(label.closest("[data-status]")?.getAttribute("title")).toBe("Failed");
  });

  it("says a completed job with failed records completed with them, in amber with the warning sign, never a green check", () => {
    render(StatusBadge, { status: "completed", detail: "Completed with 3 failed records", note: "Missing Source" });

    const badge = screen.getByText("Completed with 3 failed records").closest("[data-status]");
    expect(badge?.getAttribute("data-tone")).toBe("warning");
    expect(badge?.getAttribute("data-icon")).toBe("warning");
    expect(badge?.getAttribute("title")).toBe("yellow warning sign");
  });
});

describe("StatusLegend", () => {
  it("lists the five statuses in lifecycle order with what each means", () => {
    render(StatusLegend);

    const terms = screen.getAllByRole("term").map((term) => term.textContent?.trim());
    expect(terms).toEqual(["Pending", "Running", "Completed", "Failed", "Canceled"]);
    expect(screen.getByText(/Terminal request\/contract\/payload error occurred/)).toBeTruthy();
    expect(screen.getByText(/Rerun single first, then full if needed/)).toBeTruthy();
  });
});
