import { alertChannels } from "./alert-channels";
import { alertDeliveries } from "./alert-deliveries";
import { alertRules } from "./alert-rules";
import { createRouter } from "./router";

// Mounted at /api/alerts behind authenticate(): viewers read, operators test-send and redeliver,
// admins configure channels and rules.
export const alerts = createRouter().route("/", alertChannels).route("/", alertRules).route("/", alertDeliveries);
