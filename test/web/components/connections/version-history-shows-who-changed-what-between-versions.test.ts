import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import VersionHistory from "../../../../web/src/components/connections/VersionHistory.svelte";
import { PagedList } from "../../../../web/src/lib/paged-list.svelte";
import type { ConnectionVersion } from "../../../../worker/schemas/types";
import { makeConnectionDetail, makeVersion, page, snapshotOfConnection } from "../../factories";

function history(): ConnectionVersion[] {
  const v1 = snapshotOfConnection(makeConnectionDetail({ name: "Device status" }));
  const v2 = structuredClone(v1);
  v2.dry_run = false;
  const v3 = structuredClone(v2);
  v3.config.limits.timeout_ms = 12_000;
  v3.config.mapping[0]!.action = "always";
  return [
    makeVersion(3, v3, { changed_by: "ops-admin", change_note: "Longer timeout" }),
    makeVersion(2, v2, { changed_by: "e2e-admin" }),
    makeVersion(1, v1, { changed_by: "demo-seed", change_note: "Created" }),
  ];
}

function rowsOf(table: HTMLElement): string[] {
  return within(table)
    .getAllByRole("row")
    .slice(1)
    .map((row) =>
      [...row.children]
        .map((cell) =>
          [...cell.childNodes]
            .map((node) => node.textContent?.trim())
            .filter(Boolean)
            .join(" "),
        )
        .join(" | "),
    );
}

describe("VersionHistory", () => {
  it("lists versions newest first with who made each change, and opens the newest change's diff", async () => {
    const versions = new PagedList<ConnectionVersion>(async () => page(history()));
    await versions.reload();

    render(VersionHistory, { versions });

    const items = screen.getAllByRole("listitem");
    expect(items.map((item) => within(item).getByText(/^Version \d$/).textContent)).toEqual(["Version 3", "Version 2", "Version 1"]);
    expect(items[0]!.textContent).toContain("ops-admin");
    expect(items[0]!.textContent).toContain("Longer timeout");
    expect(within(items[2]!).getByText("First version")).toBeTruthy();

    const newest = screen.getByRole("table", { name: "Changes from version 2 to version 3" });
    expect(rowsOf(newest)).toEqual(['config.mapping[0].action Changed | "update_if_changed" | "always"', "config.limits.timeout_ms Changed | 10000 | 12000"]);
    expect(screen.queryByRole("table", { name: "Changes from version 1 to version 2" })).toBeNull();
  });

  it("opens and closes an older version's diff with its button", async () => {
    const versions = new PagedList<ConnectionVersion>(async () => page(history()));
    await versions.reload();
    render(VersionHistory, { versions });

    const second = screen.getAllByRole("listitem")[1]!;
    const toggle = within(second).getByRole("button", { name: "Show changes" });
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    await fireEvent.click(toggle);

    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(rowsOf(screen.getByRole("table", { name: "Changes from version 1 to version 2" }))).toEqual(["dry_run Changed | true | false"]);
    await fireEvent.click(within(second).getByRole("button", { name: "Hide changes" }));
    expect(screen.queryByRole("table", { name: "Changes from version 1 to version 2" })).toBeNull();
  });
});
