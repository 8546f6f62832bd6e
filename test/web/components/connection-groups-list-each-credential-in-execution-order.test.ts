import "@testing-library/svelte/vitest";
import { render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import ConnectionGroups from "../../../web/src/components/ConnectionGroups.svelte";
import { makeConnection } from "../factories";

function rowNames(table: HTMLElement): string[] {
  return within(table)
    .getAllByRole("rowheader")
    .map((cell) => cell.textContent?.trim() ?? "");
}

describe("ConnectionGroups", () => {
  it("groups connections under their credential, each group in position order", () => {
    const connections = [
      makeConnection({ name: "Asset tags", credential_id: "cred_b", credential_name: "Warehouse API", position: 2 }),
      makeConnection({ name: "Device owners", credential_id: "cred_a", credential_name: "Fleet API", position: 3 }),
      makeConnection({ name: "Device status", credential_id: "cred_a", credential_name: "Fleet API", position: 1 }),
      makeConnection({ name: "Locations", credential_id: "cred_b", credential_name: "Warehouse API", position: 1 }),
      makeConnection({ name: "Firmware", credential_id: "cred_a", credential_name: "Fleet API", position: 2 }),
    ];

    render(ConnectionGroups, { connections });

    const groups = screen.getAllByRole("heading", { level: 2 }).map((h) => h.textContent?.replace(/\s+/g, " ").trim());
    expect(groups).toEqual(["Fleet API 3 connections", "Warehouse API 2 connections"]);
    const [fleet, warehouse] = screen.getAllByRole("table");
    expect(rowNames(fleet!)).toEqual(["Device status", "Firmware", "Device owners"]);
    expect(rowNames(warehouse!)).toEqual(["Locations", "Asset tags"]);
  });

  it("shows dry run, enabled, schedule or Manual, and version for each connection", () => {
    const connections = [
      makeConnection({ name: "Nightly", dry_run: false, schedule: "0 2 * * *", version: 7 }),
      makeConnection({ name: "On demand", dry_run: true, enabled: false, schedule: null, version: 1 }),
    ];

    render(ConnectionGroups, { connections });

    const nightly = screen.getByRole("row", { name: /Nightly/ });
    expect(within(nightly).getByText("Dry run off")).toBeTruthy();
    expect(within(nightly).getByText("Enabled")).toBeTruthy();
    expect(within(nightly).getByText("0 2 * * *")).toBeTruthy();
    expect(within(nightly).getByText("v7")).toBeTruthy();
    const onDemand = screen.getByRole("row", { name: /On demand/ });
    expect(within(onDemand).getByText("Dry run on")).toBeTruthy();
    expect(within(onDemand).getByText("Disabled")).toBeTruthy();
    expect(within(onDemand).getByText("Manual")).toBeTruthy();
  });
});
