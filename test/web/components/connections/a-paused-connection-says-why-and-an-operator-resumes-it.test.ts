import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import { jsonResponse, makeConnection, makeConnectionDetail } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_test", role: "operator", name: "e2e-operator" }));
});

const { default: PausedConnectionList } = await import("../../../../web/src/components/connections/PausedConnectionList.svelte");

afterEach(() => {
  vi.unstubAllGlobals();
});

it("lists the paused connections with why, and Resume clears the pause for an operator", async () => {
  const paused = makeConnection({ name: "Fleet JSON", paused: { at: "2026-11-20T10:00:00.000Z", reason: "Failed 10 runs in a row; last error: 503" } });
  const running = makeConnection({ name: "Fleet XML" });
  const fetch = vi.fn(async () => jsonResponse(makeConnectionDetail({ id: paused.id, paused: null })));
  vi.stubGlobal("fetch", fetch);
  const onresumed = vi.fn();
  render(PausedConnectionList, { connections: [paused, running], onresumed });

  const list = screen.getByRole("list", { name: "Paused connections" });
  expect(list.textContent).toContain("Fleet JSON");
  expect(list.textContent).not.toContain("Fleet XML");
  expect(list.textContent).toContain("Failed 10 runs in a row; last error: 503. The schedule skips it until resumed; manual runs still start.");

  await fireEvent.click(screen.getByRole("button", { name: "Resume Fleet JSON" }));
  await vi.waitFor(() => expect(onresumed).toHaveBeenCalledTimes(1));
  expect(String((fetch.mock.calls[0] as unknown[])[0])).toContain(`/api/connections/${paused.id}/resume`);
  expect(screen.queryByRole("button", { name: "Resume Fleet JSON" })).toBeNull();
});
