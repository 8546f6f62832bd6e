import { api, type AlertRoute } from "../lib/api";
import { Resource } from "../lib/resource.svelte";
import { snoozeValue, type SnoozeChoice } from "../lib/alert-mute";
import { SaveState } from "./save-state.svelte";
import type { AlertChannel, AlertRule } from "../../../worker/schemas/alerts";
import { serverNow } from "../lib/server-clock";

// A connection's alert settings on its editor page: muting its alerts (operators) and routing a rule's alerts about
// it to another channel (admins).
export class ConnectionAlertsState {
  readonly connectionId: string;
  routes: Resource<AlertRoute[]>;
  rules = new Resource<AlertRule[]>((signal) => api.listRules(signal));
  channels = new Resource<AlertChannel[]>((signal) => api.listChannels(signal));

  // The mute as saved; the editor seeds it from the connection, a mute or unmute here replaces it.
  mutedUntil: string | null = $state(null);
  snooze: Exclude<SnoozeChoice, "keep" | "unmute"> = $state("1h");
  snoozeUntil = $state("");
  muteSave = new SaveState();

  // Rule id → the channel its alerts about this connection go to; "" is the rule's own channel.
  routeDraft: Record<string, string> = $state({});
  routesSave = new SaveState();

  constructor(connectionId: string, mutedUntil: string | null) {
    this.connectionId = connectionId;
    this.mutedUntil = mutedUntil;
    this.routes = new Resource(async (signal) => {
      const { data } = await api.alertRoutes(connectionId, signal);
      this.routeDraft = Object.fromEntries(data.map((route) => [route.rule_id, route.channel_id]));
      return data;
    });
  }

  load(): void {
    void this.routes.reload();
    void this.rules.reload();
    void this.channels.reload();
  }

  // The rules that can alert about this connection: every rule for all connections, and the ones that name it.
  watching(rules: readonly AlertRule[]): AlertRule[] {
    return rules.filter((rule) => rule.connection_ids === null || rule.connection_ids.includes(this.connectionId));
  }

  mute(): Promise<boolean> {
    return this.muteSave.run(async () => {
      const until = snoozeValue(this.snooze, this.snoozeUntil, serverNow()) ?? null;
      const saved = await api.setAlertsMute(this.connectionId, until);
      this.mutedUntil = saved.alerts_muted_until;
      return "Alerts muted.";
    });
  }

  unmute(): Promise<boolean> {
    return this.muteSave.run(async () => {
      const saved = await api.setAlertsMute(this.connectionId, null);
      this.mutedUntil = saved.alerts_muted_until;
      return "Alerts unmuted.";
    });
  }

  saveRoutes(): Promise<boolean> {
    return this.routesSave.run(async () => {
      const routes = Object.entries(this.routeDraft)
        .filter(([, channelId]) => channelId !== "")
        .map(([ruleId, channelId]) => ({ rule_id: ruleId, channel_id: channelId }));
      const { data } = await api.setAlertRoutes(this.connectionId, routes);
      this.routes.confirm(data);
      this.routeDraft = Object.fromEntries(data.map((route) => [route.rule_id, route.channel_id]));
      return data.length === 0 ? "Every rule sends to its own channel." : `Saved ${data.length} ${data.length === 1 ? "route" : "routes"}.`;
    });
  }
}
