import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createRouter, normalizePath } from "../../../web/src/lib/router.svelte";

// Reports whether the router took the click, then stops jsdom from following the link itself.
function clickOn(anchor: HTMLAnchorElement, init: MouseEventInit = {}): { taken: boolean } {
  const result = { taken: false };
  const record = (event: Event) => {
    result.taken = event.defaultPrevented;
    event.preventDefault();
  };
  document.addEventListener("click", record, { once: true });
  anchor.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, button: 0, ...init }));
  return result;
}

function linkTo(href: string, router: ReturnType<typeof createRouter>): HTMLAnchorElement {
  const anchor = document.createElement("a");
  anchor.href = href;
  anchor.addEventListener("click", router.handleLinkClick);
  document.body.append(anchor);
  return anchor;
}

function nextPopState(): Promise<void> {
  return new Promise((resolve) => window.addEventListener("popstate", () => resolve(), { once: true }));
}

describe("the router", () => {
  let stop: () => void = () => {};

  beforeEach(() => {
    window.history.replaceState(null, "", "/");
  });

  afterEach(() => {
    stop();
    document.body.replaceChildren();
  });

  it("takes over a plain click on an internal link and pushes history", () => {
    const router = createRouter(window);
    stop = router.start();
    const before = window.history.length;

    const click = clickOn(linkTo("/connections", router));

    expect(click.taken).toBe(true);
    expect(router.pathname).toBe("/connections");
    expect(window.location.pathname).toBe("/connections");
    expect(window.history.length).toBe(before + 1);
    expect(router.isActive("/connections")).toBe(true);
    expect(router.isActive("/")).toBe(false);
  });

  it("leaves modified clicks and other origins to the browser", () => {
    const router = createRouter(window);
    stop = router.start();

    expect(clickOn(linkTo("/alerts", router), { ctrlKey: true }).taken).toBe(false);
    expect(clickOn(linkTo("/alerts", router), { button: 1 }).taken).toBe(false);
    expect(clickOn(linkTo("http://example.invalid/alerts", router)).taken).toBe(false);
    expect(router.pathname).toBe("/");
  });

  it("follows the back button to the previous page", async () => {
    const router = createRouter(window);
    stop = router.start();
    router.navigate("/jobs");
    router.navigate("/settings");

    const popped = nextPopState();
    window.history.back();
    await popped;

    expect(router.pathname).toBe("/jobs");
    expect(router.navigations).toBe(3);
  });

  it("leaves for a whole page load even on its own origin, as an OAuth callback needs", () => {
    const assign = vi.fn();
    const location = { href: "http://localhost/credentials", origin: "http://localhost", pathname: "/credentials", search: "", hash: "", assign };
    const router = createRouter({ location } as unknown as Window);

    router.leave("/api/oauth/callback?code=c1");
    router.navigate("https://app.hubspot.com/oauth/authorize?state=s1");

    expect(assign.mock.calls).toEqual([["http://localhost/api/oauth/callback?code=c1"], ["https://app.hubspot.com/oauth/authorize?state=s1"]]);
    expect(router.pathname).toBe("/credentials");
  });

  it("treats a trailing slash as the same page", () => {
    expect(normalizePath("/jobs/")).toBe("/jobs");
    expect(normalizePath("/")).toBe("/");
    expect(normalizePath("")).toBe("/");
  });
});
