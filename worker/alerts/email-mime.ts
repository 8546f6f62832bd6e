import { bytesToBase64 } from "./base64";

// A small RFC 5322 / MIME writer for one text/plain message: enough for alert emails and for what the
// send_email binding checks (From matching the envelope sender, a Message-ID, no Received header).

export interface MimeMessageInput {
  from: string;
  fromName?: string;
  to: readonly string[];
  subject: string;
  text: string;
  messageId: string;
  date: Date;
  headers?: Record<string, string>;
}

const LINE = 76;

export function buildMimeMessage(input: MimeMessageInput): string {
  const raw = [input.from, input.fromName ?? "", input.subject, input.messageId, ...input.to, ...Object.entries(input.headers ?? {}).flat()];
  if (raw.some((value) => /[\r\n]/.test(value))) throw new Error("Email header values must be a single line.");
  const headers: Array<[string, string]> = [
    ["From", input.fromName ? `${encodeWord(input.fromName)} <${input.from}>` : input.from],
    ["To", input.to.join(", ")],
    ["Subject", encodeWord(input.subject)],
    ["Date", input.date.toUTCString().replace("GMT", "+0000")],
    ["Message-ID", `<${input.messageId}>`],
    ["MIME-Version", "1.0"],
    ["Content-Type", 'text/plain; charset="utf-8"'],
    ["Content-Transfer-Encoding", "base64"],
    // RFC 3834: tells vacation responders not to answer an automatic alert.
    ["Auto-Submitted", "auto-generated"],
    ...Object.entries(input.headers ?? {}),
  ];
  const body = wrap(bytesToBase64(new TextEncoder().encode(input.text.replace(/\r?\n/g, "\r\n"))), LINE);
  return `${headers.map(([name, value]) => `${name}: ${value}`).join("\r\n")}\r\n\r\n${body}\r\n`;
}

// RFC 2047 encoded-words, split so no encoded line is longer than the limit.
export function encodeWord(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const words: string[] = [];
  let chunk = "";
  const encoder = new TextEncoder();
  for (const ch of text) {
    // 39 bytes encode to 52 base64 characters: a 64-character word, which still fits a 78-character
    // line behind a header name such as "Subject: ".
    if (encoder.encode(chunk + ch).byteLength > 39) {
      words.push(chunk);
      chunk = "";
    }
    chunk += ch;
  }
  if (chunk !== "") words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${bytesToBase64(encoder.encode(word))}?=`).join("\r\n ");
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.join("\r\n");
}

export function isEmailAddress(text: string): boolean {
  return /^[^\s@<>(),;:"[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/.test(text);
}

export function emailDomain(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1);
}
