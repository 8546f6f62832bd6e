import { describe, expect, it } from "vitest";
import { connectionScopeText } from "../../../web/src/lib/connection-scope";
import { makeConnection } from "../factories";

const connections = [makeConnection({ id: "conn_a", name: "Device status (JSON)" }), makeConnection({ id: "conn_b", name: "Fleet listing" })];

describe("a rule's or webhook's connection scope", () => {
  it("names its connections as they are written", () => {
    expect(connectionScopeText(null, connections)).toBe("All connections");
    expect(connectionScopeText(["conn_a", "conn_b"], connections)).toBe("Device status (JSON), Fleet listing");
  });

  it("counts connections deleted since instead of showing their ids, and says when none is left", () => {
    expect(connectionScopeText(["conn_a", "conn_gone"], connections)).toBe("Device status (JSON), and 1 deleted");
    expect(connectionScopeText(["conn_gone"], connections)).toBe("None: its connections were deleted");
    // A configuration document may say so outright: connections: [].
    expect(connectionScopeText([], connections)).toBe("None: its connections were deleted");
  });

  it("gives only the count while the connections are loading", () => {
    expect(connectionScopeText(["conn_a", "conn_gone"], null)).toBe("2 connections");
  });
});
