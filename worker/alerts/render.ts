import { buildAlertEmail } from "./email-content";
import { buildMimeMessage, emailDomain } from "./email-mime";
import { buildPagerDutyEvent } from "./pagerduty";
import type { EventPayload } from "./payload";
import type { OutboundRequest } from "./send-http";
import { webhookHeaders } from "./signing";
import { buildSlackMessage } from "./slack";
import type { PagerDutySeverity } from "./vocabulary";

// A channel with its secrets decrypted: only ever in memory for the length of one send.
export type ResolvedChannel =
  | { kind: "webhook"; url: string; secrets: string[] }
  | { kind: "slack"; url: string }
  | { kind: "pagerduty"; eventsUrl: string; routingKey: string; severity: PagerDutySeverity }
  | { kind: "email"; from: string; fromName: string; to: string[] };

export type ChannelMessage =
  { transport: "http"; request: OutboundRequest; redact: string[]; rateKey: string | null } | { transport: "email"; from: string; to: string[]; raw: string };

export interface RenderInput {
  webhookId: string;
  // Exactly the bytes stored with the delivery: a webhook body is never re-serialised between attempts.
  payloadJson: string;
  now: number;
  publicUrl: string;
}

export const USER_AGENT = "OutboundSync-Webhooks/1.0";

export async function renderMessage(channel: ResolvedChannel, input: RenderInput): Promise<ChannelMessage> {
  const payload = JSON.parse(input.payloadJson) as EventPayload;
  switch (channel.kind) {
    case "webhook": {
      const signed = await webhookHeaders({
        webhookId: input.webhookId,
        timestampSeconds: Math.floor(input.now / 1000),
        body: input.payloadJson,
        secrets: channel.secrets,
      });
      return {
        transport: "http",
        request: { url: channel.url, headers: { "content-type": "application/json", "user-agent": USER_AGENT, ...signed }, body: input.payloadJson },
        redact: channel.secrets,
        rateKey: null,
      };
    }
    case "slack":
      return {
        transport: "http",
        request: {
          url: channel.url,
          headers: { "content-type": "application/json", "user-agent": USER_AGENT },
          body: JSON.stringify(buildSlackMessage(payload)),
        },
        redact: [channel.url, new URL(channel.url).pathname],
        rateKey: channel.url,
      };
    case "pagerduty":
      return {
        transport: "http",
        request: {
          url: channel.eventsUrl,
          headers: { "content-type": "application/json", "user-agent": USER_AGENT },
          body: JSON.stringify(buildPagerDutyEvent(payload, channel.routingKey, channel.severity, input.publicUrl)),
        },
        redact: [channel.routingKey],
        rateKey: null,
      };
    case "email": {
      const content = buildAlertEmail(payload);
      const raw = buildMimeMessage({
        from: channel.from,
        fromName: channel.fromName,
        to: channel.to,
        subject: content.subject,
        text: content.text,
        messageId: `${input.webhookId}@${emailDomain(channel.from)}`,
        date: new Date(input.now),
        headers: { "X-Outbound-Sync-Delivery": input.webhookId },
      });
      return { transport: "email", from: channel.from, to: channel.to, raw };
    }
  }
}
