// The ways a destination may echo a secret back, computed independently of the redactor so a test can
// look for every one of them in what the product stores or shows.

function base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());

const html = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

export function secretForms(secret: string): Record<string, string> {
  const b64 = base64(secret);
  const url = encodeURIComponent(secret);
  const form = new URLSearchParams({ v: secret }).toString().slice(2);
  return {
    literal: secret,
    base64: b64,
    base64_unpadded: b64.replace(/=+$/, ""),
    base64url: b64.replace(/\+/g, "-").replace(/\//g, "_"),
    base64url_unpadded: b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
    percent: url,
    percent_lower: lowerHex(url),
    form,
    form_lower: lowerHex(form),
    json: JSON.stringify(secret).slice(1, -1),
    json_ascii: JSON.stringify(secret)
      .slice(1, -1)
      .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
    html: html(secret),
    csv: secret.replace(/"/g, '""'),
  };
}

// Every form of every secret that appears in `text`, as "name of the secret / form" (empty when none).
export function leaksIn(text: string, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    for (const [form, value] of Object.entries(secretForms(secret))) {
      if (text.includes(value)) found.push(`${name} / ${form}`);
    }
  }
  return [...new Set(found)];
}
