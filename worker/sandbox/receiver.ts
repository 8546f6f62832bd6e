import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";

// A webhook receiver for the demo and the tests: POST /sandbox/_receiver/{name} records the request
// and answers the next scripted response (200 when the script is empty). Alert channels can point at
// it, so a newcomer sees signed deliveries arrive without running a server. It lives in memory: a
// fresh isolate starts with empty inboxes. Reading, scripting and clearing need a token (see mount.ts).

export interface ReceivedRequest {
  method: string;
  headers: Record<string, string>;
  body: string;
  received_at: string;
}

// Headers a receiver test needs. Never a content type: anyone can POST here from a browser, so an answer that
// could render as a page would run script on the dashboard's origin.
const SCRIPTABLE_HEADERS = new Set(["retry-after", "location", "www-authenticate", "link"]);

const scriptedResponseSchema = z.strictObject({
  status: z.number().int().min(200).max(599),
  body: z.string().max(100_000).optional(),
  headers: z
    .record(z.string(), z.string())
    .superRefine((headers, ctx) => {
      for (const name of Object.keys(headers)) {
        if (!SCRIPTABLE_HEADERS.has(name.toLowerCase())) {
          ctx.addIssue({ code: "custom", path: [name], message: `${name} cannot be scripted (allowed: ${[...SCRIPTABLE_HEADERS].join(", ")})` });
        }
      }
    })
    .optional(),
  // Answer with the request body itself, like a careless receiver that echoes what it got.
  echo: z.boolean().optional(),
});
type ScriptedResponse = z.infer<typeof scriptedResponseSchema>;

const scriptSchema = z.strictObject({
  responses: z.array(scriptedResponseSchema).max(100).default([]),
  then: scriptedResponseSchema.optional(),
});

interface Inbox {
  requests: ReceivedRequest[];
  script: ScriptedResponse[];
  then: ScriptedResponse;
}

const MAX_INBOXES = 100;
const MAX_REQUESTS = 200;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const DEFAULT_RESPONSE: ScriptedResponse = { status: 200, body: "ok" };

const inboxes = new Map<string, Inbox>();

function inbox(name: string): Inbox {
  let found = inboxes.get(name);
  if (!found) {
    if (inboxes.size >= MAX_INBOXES) inboxes.delete(inboxes.keys().next().value!);
    found = { requests: [], script: [], then: DEFAULT_RESPONSE };
    inboxes.set(name, found);
  }
  return found;
}

export function createReceiverRoutes(now: () => string = () => new Date().toISOString()): Hono {
  const app = new Hono();

  app.use("/:name/*", checkName);
  app.use("/:name", checkName);

  app.put("/:name/_script", async (c) => {
    // Unparseable JSON is validated as a missing body, so it gets the same 400 as a wrong shape.
    const parsed = scriptSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      const details = parsed.error.issues.map((issue) => ({ field: issue.path.join(".") || "(body)", message: issue.message }));
      return c.json({ error: { code: "INVALID_SCRIPT", message: details.map((d) => `${d.field}: ${d.message}`).join("; "), details } }, 400);
    }
    const box = inbox(c.req.param("name"));
    box.script = [...parsed.data.responses];
    box.then = parsed.data.then ?? DEFAULT_RESPONSE;
    return c.json({ queued: box.script.length, then: box.then });
  });

  app.get("/:name", (c) => c.json({ requests: inboxes.get(c.req.param("name"))?.requests ?? [] }));

  app.delete("/:name", (c) => {
    inboxes.delete(c.req.param("name"));
    return c.body(null, 204);
  });

  app.on(["POST", "PUT", "PATCH"], "/:name", async (c) => {
    const box = inbox(c.req.param("name"));
    const body = await c.req.text();
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, key) => {
      headers[key] = value;
    });
    box.requests.push({ method: c.req.method, headers, body, received_at: now() });
    if (box.requests.length > MAX_REQUESTS) box.requests.shift();
    const reply = box.script.shift() ?? box.then;
    return respond(c, reply, body);
  });

  return app;
}

async function checkName(c: Context, next: () => Promise<void>) {
  if (!NAME.test(c.req.param("name") ?? "")) {
    return c.json({ error: { code: "INVALID_NAME", message: "receiver names are 1–64 letters, digits, dots, dashes or underscores" } }, 400);
  }
  await next();
}

// Always plain text (with nosniff from the sandbox's middleware), so an echoed or scripted body never renders.
function respond(c: Context, reply: ScriptedResponse, requestBody: string): Response {
  const body = reply.echo ? requestBody : (reply.body ?? "");
  return c.body(body, reply.status as ContentfulStatusCode, { ...reply.headers, "content-type": "text/plain; charset=utf-8" });
}
