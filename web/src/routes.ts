import type { Component } from "svelte";
import DashboardPage from "./pages/DashboardPage.svelte";
import JobsPage from "./pages/JobsPage.svelte";
import JobDetailPage from "./pages/JobDetailPage.svelte";
import ComparePage from "./pages/ComparePage.svelte";
import ConnectionsPage from "./pages/ConnectionsPage.svelte";
import ConnectionsNewPage from "./pages/ConnectionsNewPage.svelte";
import ConnectionsEditPage from "./pages/ConnectionsEditPage.svelte";
import CredentialsPage from "./pages/CredentialsPage.svelte";
import AlertsPage from "./pages/AlertsPage.svelte";
import SettingsPage from "./pages/SettingsPage.svelte";
import NotFoundPage from "./pages/NotFoundPage.svelte";

// Values of the path's ":name" segments, decoded.
export type RouteParams = Record<string, string>;

export interface RouteProps {
  params: RouteParams;
}

// Pages with ":name" segments take them as the `params` prop; others take no props.
export type PageComponent = Component<RouteProps> | Component<Record<string, never>>;

export interface RouteDefinition {
  // Exact, or with ":name" segments ("/jobs/:id").
  path: string;
  title: string;
  component: PageComponent;
}

export interface RouteMatch {
  route: RouteDefinition;
  params: RouteParams;
}

// The main navigation, in this order.
export const ROUTES: readonly RouteDefinition[] = [
  { path: "/", title: "Dashboard", component: DashboardPage },
  { path: "/jobs", title: "Outbound Sync Jobs", component: JobsPage },
  { path: "/connections", title: "Connections", component: ConnectionsPage },
  { path: "/credentials", title: "Credentials", component: CredentialsPage },
  { path: "/alerts", title: "Alerts", component: AlertsPage },
  { path: "/settings", title: "Settings", component: SettingsPage },
];

// Pages reached from other pages, not from the navigation.
export const DETAIL_ROUTES: readonly RouteDefinition[] = [
  { path: "/jobs/:id", title: "Job detail", component: JobDetailPage },
  { path: "/compare", title: "Compare runs", component: ComparePage },
  // "new" before ":id", so it is not read as a connection id.
  { path: "/connections/new", title: "New connection", component: ConnectionsNewPage },
  { path: "/connections/:id", title: "Connection", component: ConnectionsEditPage },
];

export const NOT_FOUND: RouteDefinition = { path: "", title: "Page not found", component: NotFoundPage };

function matchPath(pattern: string, pathname: string): RouteParams | null {
  const want = pattern.split("/");
  const have = pathname.split("/");
  if (want.length !== have.length) return null;
  const params: RouteParams = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] ?? "";
    const actual = have[i] ?? "";
    if (segment.startsWith(":")) {
      if (actual === "") return null;
      try {
        params[segment.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null; // a malformed escape is no page of ours
      }
    } else if (segment !== actual) {
      return null;
    }
  }
  return params;
}

export function matchRoute(pathname: string): RouteMatch {
  for (const route of [...ROUTES, ...DETAIL_ROUTES]) {
    const params = matchPath(route.path, pathname);
    if (params) return { route, params };
  }
  return { route: NOT_FOUND, params: {} };
}

export function documentTitle(route: RouteDefinition): string {
  return `${route.title} · Outbound Sync`;
}
