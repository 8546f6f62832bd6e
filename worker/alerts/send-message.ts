import { EmailMessage } from "cloudflare:email";
import type { Env } from "../env";
import type { RateGate } from "./rate-gate";
import type { ChannelMessage } from "./render";
import { describeError, sendHttp, type AttemptResult } from "./send-http";

export interface SendMessageOptions {
  fetch: typeof fetch;
  // Spaces Slack messages to the same URL; absent for one-off sends such as a test.
  gate?: RateGate;
  now?: () => number;
}

export async function sendMessage(env: Pick<Env, "EMAIL">, message: ChannelMessage, options: SendMessageOptions): Promise<AttemptResult> {
  const now = options.now ?? Date.now;
  switch (message.transport) {
    case "http":
      if (message.rateKey !== null && options.gate) await options.gate.wait(message.rateKey);
      return sendHttp(message.request, { fetch: options.fetch, now, redact: message.redact });
    case "email":
      return sendEmail(env, message, now);
  }
}

// One message per recipient (the binding takes one envelope recipient); a failure for any of them
// fails the attempt, and a retry sends to all again: at least once, like every channel.
async function sendEmail(env: Pick<Env, "EMAIL">, message: Extract<ChannelMessage, { transport: "email" }>, now: () => number): Promise<AttemptResult> {
  const started = now();
  if (env.EMAIL === undefined) {
    return {
      statusCode: null,
      durationMs: 0,
      responseExcerpt: null,
      error: "The EMAIL send_email binding is not configured in wrangler.toml.",
      retryAfterMs: null,
    };
  }
  const sent: string[] = [];
  const problems: string[] = [];
  for (const to of message.to) {
    try {
      const result = await env.EMAIL.send(new EmailMessage(message.from, to, message.raw));
      sent.push(`${to}: ${result.messageId}`);
    } catch (err) {
      problems.push(`${to}: ${describeError(err)}`);
    }
  }
  return {
    statusCode: null,
    durationMs: now() - started,
    responseExcerpt: sent.length > 0 ? `Sent ${sent.join("; ")}`.slice(0, 1024) : null,
    error: problems.length > 0 ? `Email not sent to ${problems.join("; ")}`.slice(0, 1024) : null,
    retryAfterMs: null,
  };
}
