import { describe, expect, it } from "vitest";
import { buildAlertEmail } from "../../../worker/alerts/email-content";
import { buildMimeMessage, encodeWord } from "../../../worker/alerts/email-mime";
import { renderMessage } from "../../../worker/alerts/render";
import { makePayload } from "../factories/alert-payloads";

interface ParsedMime {
  headers: Map<string, string>;
  body: string;
}

// Unfolds headers and decodes the base64 body the way a mail client does.
function parseMime(raw: string): ParsedMime {
  const [head = "", body = ""] = raw.split("\r\n\r\n");
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: Buffer.from(body.replace(/\r\n/g, ""), "base64").toString("utf8") };
}

function decodeWords(value: string): string {
  return value
    .split(" ")
    .map((word) => /^=\?UTF-8\?B\?(.*)\?=$/.exec(word)?.[1])
    .map((encoded) => (encoded === undefined ? "" : Buffer.from(encoded, "base64").toString("utf8")))
    .join("");
}

describe("alert emails", () => {
  it("are MIME a mail client reads: CRLF lines of at most 78 characters, a Message-ID and a UTF-8 subject", async () => {
    const message = await renderMessage(
      { kind: "email", from: "alerts@example.com", fromName: "Outbound Sync", to: ["ops@example.com", "oncall@example.com"] },
      {
        webhookId: "msg_0001",
        payloadJson: JSON.stringify(makePayload({ type: "alert.raised" })),
        now: Date.UTC(2026, 3, 6, 8, 3, 17),
        publicUrl: "https://sync.example.com",
      },
    );
    if (message.transport !== "email") throw new Error("expected an email");
    expect(message.from).toBe("alerts@example.com");
    expect(message.to).toEqual(["ops@example.com", "oncall@example.com"]);
    for (const line of message.raw.split("\r\n")) expect(line.length).toBeLessThanOrEqual(78);
    expect(message.raw).not.toMatch(/[^\r]\n/);

    const parsed = parseMime(message.raw);
    expect(parsed.headers.get("from")).toBe("Outbound Sync <alerts@example.com>");
    expect(parsed.headers.get("to")).toBe("ops@example.com, oncall@example.com");
    expect(parsed.headers.get("message-id")).toBe("<msg_0001@example.com>");
    expect(parsed.headers.get("date")).toBe("Mon, 06 Apr 2026 08:03:17 +0000");
    expect(parsed.headers.get("content-type")).toBe('text/plain; charset="utf-8"');
    expect(parsed.headers.get("auto-submitted")).toBe("auto-generated");
    expect(decodeWords(parsed.headers.get("subject")!)).toBe("[Outbound Sync] Sync failing: Salesforce → Snowflake");
    expect(parsed.body).toContain("Error: Stream Account: 401 Unauthorized — token expired");
    expect(parsed.body).toMatch(/View job: https:\/\/sync\.example\.com\/jobs\/job_/);
  });

  it("name the alert's state in the subject and the body, and the alert's hint before the job's", () => {
    const details = { rule_id: "rule_1", channel_id: "chan_1", dedup_key: "k", failure_threshold: 1, consecutive_failures: 0 };
    const warning = buildAlertEmail(
      makePayload({
        type: "alert.raised",
        alert: {
          ...details,
          condition: "slow_run",
          state: "warning",
          severity: "warning",
          summary: "took 3× the median",
          hint: "Look at the destination's latency.",
        },
      }),
    );
    expect(warning.subject).toBe("[Outbound Sync] Warning · Run slower than usual: Salesforce → Snowflake");
    expect(warning.text).toContain("State: Warning");
    expect(warning.text).toContain("Slow run: took 3× the median");
    expect(warning.text).toContain("Hint: Look at the destination's latency.");
    const resolved = buildAlertEmail(
      makePayload({ type: "alert.resolved", status: "completed", alert: { ...details, condition: "slow_run", state: "resolved", severity: "warning" } }),
    );
    expect(resolved.subject).toBe("[Outbound Sync] Resolved · Run slower than usual: Salesforce → Snowflake");
    expect(resolved.text).toContain("State: Resolved");
  });

  it("refuse a header value with a line break, so data cannot add headers", () => {
    expect(() =>
      buildMimeMessage({
        from: "a@example.com",
        to: ["b@example.com"],
        subject: "ok",
        text: "",
        messageId: "x@example.com",
        date: new Date(),
        headers: { "X-Evil": "a\r\nBcc: victim@example.com" },
      }),
    ).toThrow(/single line/);
  });

  it("flatten line breaks in the subject", () => {
    const content = buildAlertEmail(makePayload({ connection_name: "line one\r\nBcc: victim@example.com" }));
    expect(content.subject).not.toMatch(/[\r\n]/);
  });

  it("leave plain ASCII words alone and split long UTF-8 words", () => {
    expect(encodeWord("Sync failed")).toBe("Sync failed");
    const encoded = encodeWord("ü".repeat(100));
    for (const word of encoded.split("\r\n ")) expect(word.length).toBeLessThanOrEqual(75);
    expect(decodeWords(encoded.replace(/\r\n /g, " "))).toBe("ü".repeat(100));
  });
});
