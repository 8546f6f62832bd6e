import type { Component } from "svelte";
import DashboardPage from "./pages/DashboardPage.svelte";
import JobsPage from "./pages/JobsPage.svelte";
import ConnectionsPage from "./pages/ConnectionsPage.svelte";
import AlertsPage from "./pages/AlertsPage.svelte";
import SettingsPage from "./pages/SettingsPage.svelte";
import NotFoundPage from "./pages/NotFoundPage.svelte";

export interface RouteDefinition {
  path: string;
  title: string;
  component: Component;
}

// Navigation order is the order of this list.
export const ROUTES: readonly RouteDefinition[] = [
  { path: "/", title: "Dashboard", component: DashboardPage },
  { path: "/jobs", title: "Outbound Sync Jobs", component: JobsPage },
  { path: "/connections", title: "Connections", component: ConnectionsPage },
  { path: "/alerts", title: "Alerts", component: AlertsPage },
  { path: "/settings", title: "Settings", component: SettingsPage },
];

export const NOT_FOUND: RouteDefinition = { path: "", title: "Page not found", component: NotFoundPage };

export function matchRoute(pathname: string): RouteDefinition {
  return ROUTES.find((route) => route.path === pathname) ?? NOT_FOUND;
}

export function documentTitle(route: RouteDefinition): string {
  return `${route.title} · Outbound Sync`;
}
