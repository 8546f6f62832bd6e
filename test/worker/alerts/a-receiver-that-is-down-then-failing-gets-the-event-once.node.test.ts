import { afterEach, describe, expect, it } from "vitest";
import { renderMessage, type ResolvedChannel } from "../../../worker/alerts/render";
import { RETRY_DELAYS_MS, nextStep, type NextStep } from "../../../worker/alerts/retry-schedule";
import { sendHttp, type AttemptResult } from "../../../worker/alerts/send-http";
import { generateWebhookSecret } from "../../../worker/alerts/signing";
import { makePayload } from "../factories/alert-payloads";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.node";

let receiver: WebhookReceiver | null = null;
afterEach(async () => {
  await receiver?.stop();
  receiver = null;
});

// What the dispatcher does per attempt, minus D1: render from the stored body, send, decide.
async function attemptOnce(
  channel: ResolvedChannel,
  payloadJson: string,
  cycleAttempts: number,
  now: number,
): Promise<{ result: AttemptResult; step: NextStep }> {
  const message = await renderMessage(channel, { webhookId: "msg_stable_0001", payloadJson, now, publicUrl: "https://sync.example.com" });
  if (message.transport !== "http") throw new Error("expected HTTP");
  const result = await sendHttp(message.request, { fetch });
  return { result, step: nextStep({ outcome: result, cycleAttempts: cycleAttempts + 1, now, channelFailingSince: null }) };
}

describe("delivery to a receiver that is down, then failing, then healthy", () => {
  it("ends in exactly one successful receipt, under the same webhook-id and body, on the schedule", async () => {
    receiver = await startWebhookReceiver((_req, index) => (index === 0 ? { status: 500, body: "boom" } : { status: 200, body: "ok" }));
    const url = receiver.url;
    await receiver.stop();

    const channel: ResolvedChannel = { kind: "webhook", url, secrets: [generateWebhookSecret()] };
    const payloadJson = JSON.stringify(makePayload());
    let clock = Date.UTC(2026, 3, 6, 8, 5, 0);
    const outcomes: AttemptResult[] = [];
    const waits: number[] = [];
    let step: NextStep = { status: "pending", nextAttemptAt: clock };

    for (let cycle = 0; step.status === "pending"; cycle++) {
      if (cycle === 1) await receiver.start();
      clock = step.nextAttemptAt;
      const attempt = await attemptOnce(channel, payloadJson, cycle, clock);
      outcomes.push(attempt.result);
      step = attempt.step;
      if (step.status === "pending") waits.push(step.nextAttemptAt - clock);
    }

    expect(step.status).toBe("succeeded");
    expect(outcomes.map((o) => o.statusCode)).toEqual([null, 500, 200]);
    expect(outcomes[0]!.error).toMatch(/^Network error/);
    expect(outcomes[1]!.responseExcerpt).toBe("boom");
    expect(waits).toEqual([RETRY_DELAYS_MS[1], RETRY_DELAYS_MS[2]]);

    const successes = receiver.requests.filter((r) => r.answeredWith >= 200 && r.answeredWith < 300);
    expect(successes).toHaveLength(1);
    expect(new Set(receiver.requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set(["msg_stable_0001"]));
    expect(new Set(receiver.requests.map((r) => r.body))).toEqual(new Set([payloadJson]));
    // The timestamp is the attempt's own, so a receiver's replay window accepts late retries.
    expect(receiver.requests.map((r) => Number(r.headers["webhook-timestamp"]))).toEqual(
      receiver.requests.map((_, i) => Math.floor((Date.UTC(2026, 3, 6, 8, 5, 0) + waits.slice(0, i + 1).reduce((a, b) => a + b, 0)) / 1000)),
    );
  });
});
