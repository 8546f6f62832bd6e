import { Hono } from "hono";
import { secretForms } from "../../engine/support/secret-forms";

// A careless destination at ECHO: it answers with what authenticated the request, in every encoding a
// real server might use — in the records it returns and in its 401/400 error bodies. The run, the test
// lookup and the OAuth token request reach it through the worker's ordinary outbound fetch.

export const ECHO = "https://echo.example.com";
const FORM_NAMES = Object.keys(secretForms("x"));
// Which forms lead an error body: an error message keeps only the body's first 200 characters.
export const FORM_GROUPS = [0, 1, 2, 3].map((g) => FORM_NAMES.filter((_, i) => i % 4 === g));

export interface EchoDestination {
  // Every access token the token endpoint handed out.
  readonly tokens: string[];
  // Every signed JWT assertion sent to the token endpoint.
  readonly assertions: string[];
  readonly requests: number;
  restore(): void;
}

function decodeBase64Utf8(text: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));
}

// Whole header values, and what a server decodes from them (a Basic pair and its password).
function credentialParts(headers: Headers): string[] {
  const parts: string[] = [];
  for (const name of ["authorization", "x-api-key"]) {
    const value = headers.get(name);
    if (value === null) continue;
    parts.push(value);
    const rest = value.slice(value.indexOf(" ") + 1);
    if (/^Bearer /i.test(value)) parts.push(rest);
    if (/^Basic /i.test(value)) {
      const pair = decodeBase64Utf8(rest);
      parts.push(pair, pair.slice(pair.indexOf(":") + 1));
    }
    if (/^Key /.test(value)) parts.push(rest);
  }
  return parts;
}

function echoOf(parts: string[], lead: readonly string[] = []): string {
  const render = (names: readonly string[]) =>
    parts.flatMap((part) =>
      Object.entries(secretForms(part))
        .filter(([name]) => names.includes(name))
        .map(([name, form]) => `${name}=${form}`),
    );
  return [...render(lead), ...render(FORM_NAMES)].join(" | ");
}

export function installEchoDestination(): EchoDestination {
  const tokens: string[] = [];
  const assertions: string[] = [];
  let requests = 0;
  const app = new Hono();
  const lead = (group: string) => FORM_GROUPS[Number(group)] ?? [];

  app.post("/oauth/token", async (c) => {
    const assertion = new URLSearchParams(await c.req.text()).get("assertion");
    if (assertion !== null) assertions.push(assertion);
    const token = `at/${tokens.length + 1}+${crypto.randomUUID().slice(0, 8)}=`;
    tokens.push(token);
    return c.json({ access_token: token, token_type: "bearer", expires_in: 3600 });
  });
  // A token endpoint that refuses the client and says what it got (the Basic header, the form body).
  app.post("/oauth/deny", async (c) => {
    const body = await c.req.text();
    const assertion = new URLSearchParams(body).get("assertion");
    if (assertion !== null) assertions.push(assertion);
    return c.text(`invalid_client: ${echoOf([...credentialParts(c.req.raw.headers), body])}`, 401);
  });
  app.get("/echo/:group/devices/:serial", (c) => {
    const echoed = echoOf(credentialParts(c.req.raw.headers), lead(c.req.param("group")));
    return c.json({ device: { serial: c.req.param("serial"), display_name: echoed, site_code: "ECHO", note: echoed } });
  });
  app.patch("/echo/:group/devices/:serial", async (c) => {
    const body = await c.req.text();
    const status = Number(c.req.param("group")) % 2 === 0 ? 401 : 400;
    return c.text(`you sent ${echoOf(credentialParts(c.req.raw.headers), lead(c.req.param("group")))} with ${body}`, status);
  });
  app.get("/deny/:group/devices/:serial", (c) => c.text(`denied: ${echoOf(credentialParts(c.req.raw.headers), lead(c.req.param("group")))}`, 401));

  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : input.toString();
    if (!url.startsWith(`${ECHO}/`)) return original(input, init);
    requests += 1;
    return Promise.resolve(app.fetch(new Request(input, init)));
  };
  return {
    tokens,
    assertions,
    get requests() {
      return requests;
    },
    restore: () => {
      globalThis.fetch = original;
    },
  };
}
