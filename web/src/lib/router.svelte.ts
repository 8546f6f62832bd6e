export interface NavigateOptions {
  replace?: boolean;
}

export interface Router {
  readonly pathname: string;
  readonly search: string;
  // Counts client-side moves to another path, so the shell can move focus after one but not on first load.
  readonly navigations: number;
  navigate(href: string, options?: NavigateOptions): void;
  // Loads a whole page, even on this origin: an OAuth provider, or a worker route such as its OAuth callback.
  leave(href: string): void;
  // Takes over plain left-clicks on same-origin links; new-tab clicks stay the browser's.
  handleLinkClick(event: MouseEvent): void;
  isActive(href: string): boolean;
  start(): () => void;
}

// "/jobs/" and "/jobs" are the same page; the root keeps its slash.
export function normalizePath(pathname: string): string {
  const trimmed = pathname.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

function isPlainLeftClick(event: MouseEvent): boolean {
  return !event.defaultPrevented && event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

export function createRouter(win: Window): Router {
  let pathname = $state(normalizePath(win.location.pathname));
  let search = $state(win.location.search);
  let navigations = $state(0);

  function sync(): void {
    pathname = normalizePath(win.location.pathname);
    search = win.location.search;
  }

  function leave(href: string): void {
    win.location.assign(new URL(href, win.location.href).href);
  }

  function navigate(href: string, options: NavigateOptions = {}): void {
    const url = new URL(href, win.location.href);
    if (url.origin !== win.location.origin) {
      leave(url.href);
      return;
    }
    const target = `${url.pathname}${url.search}${url.hash}`;
    const current = `${win.location.pathname}${win.location.search}${win.location.hash}`;
    if (options.replace || target === current) win.history.replaceState(null, "", target);
    else win.history.pushState(null, "", target);
    const before = pathname;
    sync();
    // A new query on the same page (a filter) keeps focus where the person is working.
    if (pathname !== before) navigations += 1;
  }

  function handleLinkClick(event: MouseEvent): void {
    if (!isPlainLeftClick(event)) return;
    const anchor = event.currentTarget;
    if (!(anchor instanceof HTMLAnchorElement)) return;
    if (anchor.target && anchor.target !== "_self") return;
    if (anchor.hasAttribute("download")) return;
    const url = new URL(anchor.href, win.location.href);
    if (url.origin !== win.location.origin) return;
    event.preventDefault();
    navigate(url.href);
  }

  function isActive(href: string): boolean {
    const target = normalizePath(new URL(href, win.location.href).pathname);
    if (target === "/") return pathname === "/";
    return pathname === target || pathname.startsWith(`${target}/`);
  }

  function start(): () => void {
    const onPopState = () => {
      const before = pathname;
      sync();
      // A fragment jump also fires popstate; only a new path is a navigation.
      if (pathname !== before) navigations += 1;
    };
    win.addEventListener("popstate", onPopState);
    return () => win.removeEventListener("popstate", onPopState);
  }

  return {
    get pathname() {
      return pathname;
    },
    get search() {
      return search;
    },
    get navigations() {
      return navigations;
    },
    navigate,
    leave,
    handleLinkClick,
    isActive,
    start,
  };
}

export const router = createRouter(window);
