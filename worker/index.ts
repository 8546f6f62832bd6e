import { app } from "./app";
import type { Env } from "./env";
import { handleQueue } from "./queues";
import { handleScheduled } from "./schedule/scheduled";

export { AlertChannelSender } from "./alerts/alert-channel-sender";
export { DestinationBreaker } from "./breakers/destination-breaker";
export { LiveHub } from "./live/live-hub";
export { RunCoordinator } from "./runs/run-coordinator";
export { SandboxFleet } from "./sandbox/sandbox-fleet";
export { TokenKeeper } from "./tokens/token-keeper";

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    await handleScheduled(controller, env);
  },
  queue: handleQueue,
} satisfies ExportedHandler<Env>;
