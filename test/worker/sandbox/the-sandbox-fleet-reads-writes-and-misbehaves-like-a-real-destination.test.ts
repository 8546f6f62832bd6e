import { evictDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { XMLParser } from "fast-xml-parser";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../../worker/env";
import { demoExampleSerials, demoFleetDevices, demoSourceDevices, type FleetDevice } from "../../../worker/sandbox/demo-data";
import { sandboxMount } from "../../../worker/sandbox/mount";
import { outboundFetch } from "../../../worker/outbound";
import { createOutboundFetch } from "../../../worker/sandbox/outbound-fetch";

const worker = (exports as unknown as { default: Fetcher }).default;
const BASE = "http://localhost/sandbox";
const SERIAL = "DEV-00001";

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}
interface ListBody {
  devices: { serial: string; id?: number; last_seen_at?: string }[];
  page?: number;
  per_page: number;
  total: number;
  total_pages?: number;
  next_cursor: string | null;
  next_url: string | null;
}
interface StatsBody {
  requests: number;
  writes: number;
  throttled: number;
  errors: number;
  unauthorized: number;
  source_requests: number;
  token_requests: number;
  writes_by_serial: Record<string, number>;
}

// Responses are read in full at once: an unread body keeps its request in flight, and that would
// hold up evictDurableObject later in the file.
async function send(url: string, init?: RequestInit): Promise<Response> {
  const res = await worker.fetch(url, init);
  const body = await res.arrayBuffer();
  return new Response([101, 204, 205, 304].includes(res.status) ? null : body, res);
}

function call(path: string, init?: RequestInit): Promise<Response> {
  return send(`${BASE}${path}`, init);
}

function jsonRequest(method: string, body: unknown, contentType = "application/json"): RequestInit {
  return { method, headers: { "content-type": contentType }, body: JSON.stringify(body) };
}

function xmlRequest(method: string, body: string, contentType = "application/xml"): RequestInit {
  return { method, headers: { "content-type": contentType }, body };
}

async function configure(knobs: Record<string, unknown>): Promise<void> {
  const res = await call("/_config", jsonRequest("PUT", knobs));
  expect(res.status).toBe(200);
}

async function stats(query = ""): Promise<StatsBody> {
  return (await call(`/_stats${query}`)).json<StatsBody>();
}

async function getDevice(serial: string): Promise<FleetDevice> {
  const res = await call(`/api/devices/${serial}`);
  expect(res.status).toBe(200);
  return (await res.json<{ device: FleetDevice }>()).device;
}

function fleetDevice(serial: string): FleetDevice {
  return demoFleetDevices().find((d) => d.serial === serial)!;
}

function nextLink(res: Response): string | null {
  const match = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "");
  return match === null ? null : match[1]!;
}

beforeEach(async () => {
  expect((await call("/_reset", { method: "POST" })).status).toBe(200);
});

describe("sandbox fleet API: reads", () => {
  it("returns a device by serial as JSON", async () => {
    const res = await call(`/api/devices/${SERIAL}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ device: fleetDevice(SERIAL) });
  });

  it("answers 404 in the JSON error shape for a serial the destination lacks", async () => {
    const res = await call(`/api/devices/${demoExampleSerials().missing_destination}`);
    expect(res.status).toBe(404);
    expect((await res.json<ErrorBody>()).error.code).toBe("NOT_FOUND");
  });

  it("returns a device by serial as XML", async () => {
    const res = await call(`/xml/devices/${SERIAL}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/xml/);
    const doc = new XMLParser({ parseTagValue: false }).parse(await res.text()) as { device: Record<string, string> };
    const expected = fleetDevice(SERIAL);
    expect(doc.device.serial).toBe(SERIAL);
    expect(doc.device.id).toBe(String(expected.id));
    expect(doc.device.display_name).toBe(expected.display_name);
    expect((await call(`/xml/devices/${demoExampleSerials().missing_destination}`)).status).toBe(404);
  });

  it("pages the listing with a Link header until every device was seen once", async () => {
    const first = await call("/api/devices?per_page=200");
    const body = await first.json<ListBody>();
    expect(body).toMatchObject({ page: 1, per_page: 200, total: 495, total_pages: 3 });
    expect(body.devices).toHaveLength(200);

    const serials = body.devices.map((d) => d.serial);
    let next = nextLink(first);
    let pages = 1;
    while (next !== null) {
      expect(new URL(next).searchParams.get("page")).toBe(String(pages + 1));
      const res = await send(next);
      serials.push(...(await res.json<ListBody>()).devices.map((d) => d.serial));
      next = nextLink(res);
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(serials)).toEqual(new Set(demoFleetDevices().map((d) => d.serial)));
    expect(serials).toHaveLength(495);
  });

  it("walks the listing by cursor in id order and ends with a null next_cursor", async () => {
    const ids: number[] = [];
    let url = `${BASE}/api/devices?cursor=&per_page=150`;
    for (let guard = 0; guard < 10; guard++) {
      const body = await (await send(url)).json<ListBody>();
      ids.push(...body.devices.map((d) => d.id!));
      if (body.next_cursor === null) break;
      url = `${BASE}/api/devices?per_page=150&cursor=${body.next_cursor}`;
    }
    expect(ids).toEqual(demoFleetDevices().map((d) => d.id));
  });

  it("walks the listing by offset and limit, linking the next offset, to the last device", async () => {
    const serials: string[] = [];
    let url: string | null = `${BASE}/api/devices?offset=0&limit=200`;
    const offsets: string[] = [];
    while (url !== null) {
      offsets.push(new URL(url).searchParams.get("offset")!);
      const body: ListBody & { offset?: number; limit?: number } = await (await send(url)).json();
      expect(body).toMatchObject({ limit: 200, total: 495 });
      serials.push(...body.devices.map((d) => d.serial));
      url = body.next_url;
    }
    expect(offsets).toEqual(["0", "200", "400"]);
    expect(serials).toEqual(demoFleetDevices().map((d) => d.serial));

    const source = await (await call("/source/devices?offset=490&limit=100")).json<ListBody>();
    expect(source.devices.map((d) => d.serial)).toEqual(
      demoSourceDevices()
        .map((d) => d.serial)
        .sort()
        .slice(490, 500),
    );
  });

  it("walks the listing after the last device's id with starting_after, has_more false on the last page", async () => {
    const ids: number[] = [];
    let after = "";
    for (let guard = 0; guard < 10; guard++) {
      const body = await (await call(`/api/devices?per_page=200&starting_after=${after}`)).json<ListBody & { has_more: boolean }>();
      ids.push(...body.devices.map((d) => d.id!));
      if (!body.has_more) break;
      after = String(body.devices.at(-1)!.id);
    }
    expect(ids).toEqual(demoFleetDevices().map((d) => d.id));
    const refused = await call("/api/devices?starting_after=DEV-00001");
    expect(refused.status).toBe(400);
    expect(await refused.json<ErrorBody>()).toMatchObject({ error: { details: { field: "starting_after" } } });
  });

  it("serves at most 500 per page and refuses malformed paging parameters", async () => {
    const big = await (await call("/api/devices?per_page=5000")).json<ListBody>();
    expect(big.per_page).toBe(500);
    expect(big.devices).toHaveLength(495);
    expect(big.next_cursor).toBeNull();

    for (const query of ["per_page=0", "per_page=ten", "page=0", "cursor=not-ours!", "offset=-1", "offset=1&limit=0"]) {
      const res = await call(`/api/devices?${query}`);
      expect(res.status, query).toBe(400);
    }
  });

  it("answers unknown sandbox paths with a JSON 404", async () => {
    const res = await call("/api/widgets");
    expect(res.status).toBe(404);
    expect((await res.json<ErrorBody>()).error.code).toBe("NOT_FOUND");
  });
});

describe("sandbox fleet API: JSON writes", () => {
  it("applies a PATCH, shows it on the next GET and counts one write", async () => {
    const before = await getDevice(SERIAL);
    const res = await call(`/api/devices/${SERIAL}`, jsonRequest("PATCH", { firmware: "9.9.9", battery: 12 }));
    expect(res.status).toBe(200);

    const after = await getDevice(SERIAL);
    expect(after).toMatchObject({ firmware: "9.9.9", battery: 12, display_name: before.display_name });
    expect(after.updated_at).not.toBe(before.updated_at);
    const counted = await stats();
    expect(counted.writes).toBe(1);
    expect(counted.writes_by_serial).toEqual({ [SERIAL]: 1 });
  });

  it("applies a PUT and counts every accepted write, even one that changes nothing", async () => {
    await call(`/api/devices/${SERIAL}`, jsonRequest("PUT", { state: "service", last_seen: null }));
    await call(`/api/devices/${SERIAL}`, jsonRequest("PUT", { state: "service" }));
    expect(await getDevice(SERIAL)).toMatchObject({ state: "service", last_seen: null });
    expect((await stats(`?serial=${SERIAL}`)).writes_by_serial).toEqual({ [SERIAL]: 2 });
  });

  it("gives a device's version as its ETag and takes a write with If-Match only while that version holds", async () => {
    const read = await call(`/api/devices/${SERIAL}`);
    const etag = read.headers.get("etag")!;
    expect(etag).toMatch(/^"v\d+"$/);
    const first = await call(`/api/devices/${SERIAL}`, {
      ...jsonRequest("PATCH", { battery: 40 }),
      headers: { "content-type": "application/json", "if-match": etag },
    });
    expect(first.status).toBe(200);
    const next = first.headers.get("etag")!;
    expect(next).not.toBe(etag);

    const stale = await call(`/api/devices/${SERIAL}`, {
      ...jsonRequest("PATCH", { battery: 41 }),
      headers: { "content-type": "application/json", "if-match": etag },
    });
    expect(stale.status).toBe(412);
    expect(((await stale.json()) as ErrorBody).error).toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringContaining(next) });
    const listed = await call(`/api/devices/${SERIAL}`, {
      ...jsonRequest("PUT", { battery: 42 }),
      headers: { "content-type": "application/json", "if-match": `"v0", ${next}` },
    });
    expect(listed.status).toBe(200);
    const any = await call(`/api/devices/${SERIAL}`, {
      ...jsonRequest("PATCH", { battery: 43 }),
      headers: { "content-type": "application/json", "if-match": "*" },
    });
    expect(any.status).toBe(200);
    expect(await getDevice(SERIAL)).toMatchObject({ battery: 43 });
    expect((await stats(`?serial=${SERIAL}`)).writes_by_serial).toEqual({ [SERIAL]: 3 });
  });

  it("refuses an unknown field with 400 INVALID_CONTENT naming it, and writes nothing", async () => {
    const res = await call(`/api/devices/${SERIAL}`, jsonRequest("PATCH", { firmware: "9.9.9", colour: "red" }));
    expect(res.status).toBe(400);
    const body = await res.json<ErrorBody>();
    expect(body.error.code).toBe("INVALID_CONTENT");
    expect(body.error.message).toContain("colour");
    expect(await getDevice(SERIAL)).toEqual(fleetDevice(SERIAL));
    expect((await stats()).writes).toBe(0);
  });

  it("refuses a value of the wrong type with 400 INVALID_CONTENT naming the field", async () => {
    for (const payload of [{ battery: "87" }, { state: "active" }, { last_seen: "yesterday" }, { display_name: 5 }]) {
      const res = await call(`/api/devices/${SERIAL}`, jsonRequest("PUT", payload));
      expect(res.status).toBe(400);
      const body = await res.json<ErrorBody>();
      expect(body.error.code).toBe("INVALID_CONTENT");
      expect(body.error.message).toContain(Object.keys(payload)[0]!);
    }
    expect((await stats()).writes).toBe(0);
  });

  it("refuses a payload whose serial names another device", async () => {
    const res = await call(`/api/devices/${SERIAL}`, jsonRequest("PUT", { serial: "DEV-00002", firmware: "1.0.0" }));
    expect(res.status).toBe(400);
    expect((await res.json<ErrorBody>()).error.code).toBe("INVALID_CONTENT");
  });

  it("answers 415 to a write that is not JSON and 405 with Allow to POST and DELETE", async () => {
    const xmlBody = await call(`/api/devices/${SERIAL}`, xmlRequest("PUT", "<device><firmware>1</firmware></device>"));
    expect(xmlBody.status).toBe(415);
    expect((await xmlBody.json<ErrorBody>()).error.code).toBe("UNSUPPORTED_MEDIA_TYPE");

    for (const method of ["POST", "DELETE"]) {
      const res = await call(`/api/devices/${SERIAL}`, jsonRequest(method, { firmware: "1" }));
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, PUT, PATCH");
    }
    expect((await call("/api/devices", { method: "POST" })).headers.get("allow")).toBe("GET");
    expect((await stats()).writes).toBe(0);
  });

  it("writes a bulk request item by item and reports the serials it does not know", async () => {
    const missing = demoExampleSerials().missing_destination;
    const res = await call(
      "/api/devices/bulk",
      jsonRequest("POST", {
        devices: [
          { serial: SERIAL, firmware: "4.0.0" },
          { serial: missing, firmware: "4.0.0" },
          { serial: "DEV-00002", battery: 50 },
        ],
      }),
    );
    expect(res.status).toBe(207);
    const body = await res.json<{ results: { serial: string; status: number }[]; updated: number; not_found: number }>();
    expect(body.results.map((r) => [r.serial, r.status])).toEqual([
      [SERIAL, 200],
      [missing, 404],
      ["DEV-00002", 200],
    ]);
    expect(body).toMatchObject({ updated: 2, not_found: 1 });
    expect((await getDevice("DEV-00002")).battery).toBe(50);
    expect((await stats()).writes).toBe(2);
  });

  it("refuses a whole bulk request when one item has an unknown field", async () => {
    const res = await call(
      "/api/devices/bulk",
      jsonRequest("POST", {
        devices: [
          { serial: SERIAL, firmware: "4.0.0" },
          { serial: "DEV-00002", colour: "red" },
        ],
      }),
    );
    expect(res.status).toBe(400);
    const body = await res.json<ErrorBody>();
    expect(body.error.code).toBe("INVALID_CONTENT");
    expect(body.error.message).toContain("devices[1]");
    expect(body.error.message).toContain("colour");
    expect((await stats()).writes).toBe(0);
    expect((await call("/api/devices/bulk")).status).toBe(405);
  });
});

describe("sandbox fleet API: XML writes", () => {
  it("applies a PUT of a <device> document, keeping text as text and reading numbers for numeric fields", async () => {
    const res = await call(
      `/xml/devices/${SERIAL}`,
      xmlRequest("PUT", '<?xml version="1.0"?><device><firmware>007</firmware><battery>42</battery><contact_email/></device>'),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/xml/);
    expect(await getDevice(SERIAL)).toMatchObject({ firmware: "007", battery: 42, contact_email: null });
    expect((await stats()).writes).toBe(1);
  });

  it("versions the XML device as the JSON one: an ETag on GET, and a PUT with a stale If-Match is refused with 412", async () => {
    const etag = (await call(`/xml/devices/${SERIAL}`)).headers.get("etag")!;
    expect(etag).toMatch(/^"v\d+"$/);
    const put = (ifMatch: string) =>
      call(`/xml/devices/${SERIAL}`, {
        ...xmlRequest("PUT", "<device><battery>12</battery></device>"),
        headers: { "content-type": "application/xml", "if-match": ifMatch },
      });
    const first = await put(etag);
    expect(first.status).toBe(200);
    expect(first.headers.get("etag")).not.toBe(etag);
    expect((await put(etag)).status).toBe(412);
    expect((await stats()).writes).toBe(1);
  });

  it("answers 415 to JSON, 400 INVALID_CONTENT to unknown elements or roots, and 405 to PATCH and POST", async () => {
    const json = await call(`/xml/devices/${SERIAL}`, jsonRequest("PUT", { firmware: "1" }));
    expect(json.status).toBe(415);

    for (const doc of ["<device><colour>red</colour></device>", "<record><firmware>1</firmware></record>", "<device><firmware>"]) {
      const res = await call(`/xml/devices/${SERIAL}`, xmlRequest("PUT", doc));
      expect(res.status, doc).toBe(400);
      expect((await res.json<ErrorBody>()).error.code).toBe("INVALID_CONTENT");
    }
    const unknown = await call(`/xml/devices/${SERIAL}`, xmlRequest("PUT", "<device><colour>red</colour></device>"));
    expect((await unknown.json<ErrorBody>()).error.message).toContain("colour");

    for (const method of ["PATCH", "POST"]) {
      const res = await call(`/xml/devices/${SERIAL}`, xmlRequest(method, "<device><firmware>1</firmware></device>"));
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, PUT");
    }
    expect((await stats()).writes).toBe(0);
  });
});

describe("sandbox behaviour knobs", () => {
  it("answers every Nth request with 429 and Retry-After, and counts it", async () => {
    await configure({ throttle_every: 3, retry_after_s: 2 });
    const answers: Array<[number, string | null]> = [];
    for (let i = 0; i < 6; i++) {
      const res = await call(`/api/devices/${SERIAL}`);
      answers.push([res.status, res.headers.get("retry-after")]);
    }
    expect(answers).toEqual([
      [200, null],
      [200, null],
      [429, "2"],
      [200, null],
      [200, null],
      [429, "2"],
    ]);
    expect(await stats()).toMatchObject({ requests: 6, throttled: 2 });
  });

  it("answers every Nth request with 503 when errors are injected", async () => {
    await configure({ error_every: 2 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(`/xml/devices/${SERIAL}`)).status);
    expect(statuses).toEqual([200, 503, 200, 503]);
    expect((await stats()).errors).toBe(2);
  });

  it("requires the configured bearer token", async () => {
    await configure({ auth_token: "demo-secret" });
    const anonymous = await call(`/api/devices/${SERIAL}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await call(`/api/devices/${SERIAL}`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const right = await call(`/api/devices/${SERIAL}`, { headers: { authorization: "Bearer demo-secret" } });
    expect(right.status).toBe(200);
    expect((await stats()).unauthorized).toBe(2);
  });

  it("issues OAuth2 client-credentials tokens the destination accepts until they are revoked or expire", async () => {
    await configure({ oauth: { client_id: "fleet-client", client_secret: "s3cret value", token_ttl_s: 60 } });
    const tokenRequest = (form: Record<string, string>, authorization?: string) =>
      call("/oauth/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...(authorization === undefined ? {} : { authorization }) },
        body: new URLSearchParams(form).toString(),
      });
    const basic = `Basic ${btoa("fleet-client:s3cret+value")}`;

    const viaBasic = await tokenRequest({ grant_type: "client_credentials" }, basic);
    expect(viaBasic.status).toBe(200);
    expect(viaBasic.headers.get("cache-control")).toBe("no-store");
    const issued = await viaBasic.json<{ access_token: string; token_type: string; expires_in: number }>();
    expect(issued).toMatchObject({ token_type: "Bearer", expires_in: 60 });
    const viaBody = await tokenRequest({ grant_type: "client_credentials", client_id: "fleet-client", client_secret: "s3cret value" });
    expect(viaBody.status).toBe(200);

    const wrongSecret = await tokenRequest({ grant_type: "client_credentials", client_id: "fleet-client", client_secret: "guess" });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: "invalid_client" });
    const wrongGrant = await tokenRequest({ grant_type: "password" }, basic);
    expect(await wrongGrant.json()).toMatchObject({ error: "unsupported_grant_type" });
    expect((await stats()).token_requests).toBe(4);

    const withToken = { headers: { authorization: `Bearer ${issued.access_token}` } };
    expect((await call(`/api/devices/${SERIAL}`)).status).toBe(401);
    expect((await call(`/api/devices/${SERIAL}`, withToken)).status).toBe(200);
    expect(await (await call("/oauth/_revoke", { method: "POST" })).json()).toEqual({ revoked: 2 });
    expect((await call(`/api/devices/${SERIAL}`, withToken)).status).toBe(401);

    await configure({ oauth: { client_id: "fleet-client", client_secret: "s3cret value", token_ttl_s: 1 } });
    const shortLived = (await (await tokenRequest({ grant_type: "client_credentials" }, basic)).json<{ access_token: string }>()).access_token;
    expect((await call(`/api/devices/${SERIAL}`, { headers: { authorization: `Bearer ${shortLived}` } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await call(`/api/devices/${SERIAL}`, { headers: { authorization: `Bearer ${shortLived}` } })).status).toBe(401);
  });

  it("delays destination responses by the configured latency", async () => {
    await configure({ latency_ms: 150 });
    const started = Date.now();
    await call(`/api/devices/${SERIAL}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("takes a device write as a form, each field's text read as the field's type and an empty value as null", async () => {
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const res = await call(`/api/devices/${SERIAL}`, { method: "PATCH", headers: form, body: "battery=42&site_code=&display_name=Pump+%26+co" });
    expect(res.status).toBe(200);
    expect((await res.json<{ device: Record<string, unknown> }>()).device).toMatchObject({ battery: 42, site_code: null, display_name: "Pump & co" });

    const twice = await call(`/api/devices/${SERIAL}`, { method: "PATCH", headers: form, body: "battery=1&battery=2" });
    expect(twice.status).toBe(400);
    expect((await twice.json<ErrorBody>()).error.message).toBe('field "battery" appears twice in the form');
    const nested = await call(`/api/devices/${SERIAL}`, { method: "PATCH", headers: form, body: "meta%5Bsite%5D=x" });
    expect((await nested.json<ErrorBody>()).error.message).toContain('unknown field "meta[site]"');
  });

  it("with errors_in_body, answers a device write 200 either way and says in the body whether it worked", async () => {
    await configure({ errors_in_body: true });

    const good = await call(`/api/devices/${SERIAL}`, jsonRequest("PATCH", { firmware: "9.9.9" }));
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ ok: true, device: expect.objectContaining({ serial: SERIAL, firmware: "9.9.9" }) });

    const bad = await call(`/api/devices/${SERIAL}`, jsonRequest("PATCH", { battery: 150 }));
    expect(bad.status).toBe(200);
    expect(bad.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await bad.json()).toEqual({
      ok: false,
      error: { code: "INVALID_CONTENT", message: expect.stringContaining('field "battery"'), details: { field: "battery" } },
    });
    const missing = await call("/api/devices/NO-SUCH", jsonRequest("PUT", { firmware: "1" }));
    expect(await missing.json()).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });

    // A read, a media type refusal and the knobs' own statuses keep their status.
    expect((await call(`/api/devices/${SERIAL}`)).status).toBe(200);
    expect((await call(`/api/devices/${SERIAL}`, jsonRequest("PATCH", { firmware: "1" }, "text/plain"))).status).toBe(415);
    expect((await stats()).writes_by_serial[SERIAL]).toBe(1);
  });

  it("refuses an invalid setting with 400 naming it and keeps the previous configuration", async () => {
    const before = await (await call("/_config")).json();
    for (const [knobs, field] of [
      [{ latency_ms: -1 }, "latency_ms"],
      [{ throttle_every: "3" }, "throttle_every"],
      [{ bogus: 1 }, "bogus"],
    ] as const) {
      const res = await call("/_config", jsonRequest("PUT", knobs));
      expect(res.status).toBe(400);
      expect((await res.json<ErrorBody>()).error.message).toContain(field);
    }
    expect(await (await call("/_config")).json()).toEqual(before);
  });

  it("restores the demo fleet, the default knobs and zero counters on reset", async () => {
    await call(`/api/devices/${SERIAL}`, jsonRequest("PATCH", { firmware: "9.9.9" }));
    await configure({ throttle_every: 1 });
    expect((await call("/_reset", { method: "POST" })).status).toBe(200);

    expect(await (await call("/_config")).json()).toEqual({
      latency_ms: 0,
      throttle_every: null,
      retry_after_s: 1,
      error_every: null,
      auth_token: null,
      errors_in_body: false,
      oauth: null,
      oauth_jwt: null,
      aws_sigv4: null,
    });
    expect(await getDevice(SERIAL)).toEqual(fleetDevice(SERIAL));
    expect(await stats()).toMatchObject({ requests: 1, writes: 0, throttled: 0, errors: 0, writes_by_serial: {} });
  });

  it("keeps exact write counts when the fleet object is evicted", async () => {
    expect((await call(`/api/devices/${SERIAL}`, jsonRequest("PATCH", { firmware: "9.9.9" }))).status).toBe(200);
    await evictDurableObject(env.SANDBOX_FLEET.get(env.SANDBOX_FLEET.idFromName("demo")));
    expect((await stats()).writes_by_serial[SERIAL]).toBe(1);
    expect((await getDevice(SERIAL)).firmware).toBe("9.9.9");
  });
});

describe("sandbox demo source API", () => {
  it("pages all 500 source records by serial with a Link header, leaving absent fields out", async () => {
    const serials: string[] = [];
    let next: string | null = `${BASE}/source/devices?per_page=100`;
    while (next !== null) {
      const res = await send(next);
      const body = await res.json<ListBody & { devices: Record<string, unknown>[] }>();
      serials.push(...body.devices.map((d) => d.serial as string));
      next = nextLink(res);
    }
    expect(serials).toEqual(demoSourceDevices().map((d) => d.serial));

    const missingSource = demoExampleSerials().missing_source;
    const record = (await (await call(`/source/devices?serial=${missingSource}`)).json<ListBody>()).devices[0]!;
    expect(Object.keys(record).length).toBeLessThan(Object.keys(demoSourceDevices()[1]!).length);
  });

  it("serves the exports as gzip files too, as a warehouse unload sits in an object store", async () => {
    const plain = await (await call("/source/devices.csv?per_page=5")).text();
    const gz = await call("/source/devices.csv.gz?per_page=5");
    expect(gz.headers.get("content-type")).toBe("application/gzip");
    expect(gz.headers.get("content-encoding")).toBeNull();
    expect(nextLink(gz)).toContain("/source/devices.csv.gz?per_page=5&page=2");
    const unzipped = await new Response(gz.body!.pipeThrough(new DecompressionStream("gzip"))).text();
    expect(unzipped).toBe(plain);
  });

  it("serves an export's bytes by Range as an object store does: 206 with Content-Range, 416 past the end", async () => {
    const whole = new Uint8Array(await (await call("/source/devices.ndjson?per_page=500")).arrayBuffer());
    const first = await call("/source/devices.ndjson", { headers: { range: "bytes=0-99" } });
    expect(first.status).toBe(206);
    expect(first.headers.get("content-range")).toBe(`bytes 0-99/${whole.length}`);
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(whole.slice(0, 100));
    const tail = await call("/source/devices.ndjson", { headers: { range: `bytes=${whole.length - 10}-${whole.length + 500}` } });
    expect(tail.headers.get("content-range")).toBe(`bytes ${whole.length - 10}-${whole.length - 1}/${whole.length}`);
    expect((await tail.arrayBuffer()).byteLength).toBe(10);
    const past = await call("/source/devices.csv", { headers: { range: "bytes=999999-1000099" } });
    expect(past.status).toBe(416);
    expect((await call("/source/devices.csv", { headers: { range: "lines=1-2" } })).status).toBe(400);
  });

  it("serves the same records as NDJSON and as CSV, each page with its Link header and the total", async () => {
    const json = (await (await call("/source/devices?per_page=3")).json<ListBody & { devices: Record<string, unknown>[] }>()).devices;

    const ndjson = await call("/source/devices.ndjson?per_page=3");
    expect(ndjson.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(ndjson.headers.get("x-total-count")).toBe("500");
    expect(nextLink(ndjson)).toContain("/source/devices.ndjson?per_page=3&page=2");
    expect(
      (await ndjson.text())
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual(json);

    const csv = await call("/source/devices.csv?per_page=3");
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(nextLink(csv)).toContain("/source/devices.csv?per_page=3&page=2");
    const [header, ...rows] = (await csv.text()).trimEnd().split("\r\n");
    expect(header).toBe("serial,name,status,firmware_version,site,battery_pct,last_seen_at,owner_email");
    expect(rows).toHaveLength(3);
    const first = json[0]!;
    const cell = (value: unknown) => (value === undefined || value === null ? "" : String(value));
    expect(rows[0]).toBe(
      [first.serial, first.name, first.status, first.firmware_version, first.site, first.battery_pct, first.last_seen_at, first.owner_email]
        .map(cell)
        .join(","),
    );
    expect((await call("/source/devices.csv", { method: "POST" })).status).toBe(405);
  });

  it("filters by updated_since and walks it by cursor", async () => {
    const since = "2026-10-25T00:00:00.000Z";
    const expected = demoSourceDevices()
      .filter((d) => d.last_seen_at >= since)
      .map((d) => d.serial);
    const seen: string[] = [];
    let url = `${BASE}/source/devices?updated_since=${since}&cursor=&per_page=40`;
    for (let guard = 0; guard < 50; guard++) {
      const body = await (await send(url)).json<ListBody>();
      expect(body.total).toBe(expected.length);
      seen.push(...body.devices.map((d) => d.serial));
      if (body.next_url === null) break;
      url = body.next_url;
    }
    expect(seen).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(500);
    expect((await call("/source/devices?updated_since=last-week")).status).toBe(400);
  });
});

describe("sandbox mount and outbound fetch", () => {
  it("is chosen by worker/outbound.ts only when SANDBOX is on", async () => {
    const device = `http://localhost:8787/sandbox/api/devices/${SERIAL}`;
    const routed = await outboundFetch(env)(device);
    expect(routed.status).toBe(200);
    expect((await routed.json<{ device: FleetDevice }>()).device.serial).toBe(SERIAL);

    // Production: the platform's fetch; the fleet never sees the request.
    const before = (await stats()).requests;
    const network = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("from the network"));
    try {
      const off = { ...env, SANDBOX: "off" } as Env;
      expect(await (await outboundFetch(off)(device)).text()).toBe("from the network");
      expect(network).toHaveBeenCalledWith(device, undefined);
    } finally {
      network.mockRestore();
    }
    expect((await stats()).requests).toBe(before);
  });

  it("hides the sandbox when SANDBOX is off", async () => {
    const off = { ...env, SANDBOX: "off" } as Env;
    const res = await sandboxMount.request(`/api/devices/${SERIAL}`, undefined, off);
    expect(res.status).toBe(404);
    expect((await res.json<ErrorBody>()).error.code).toBe("not_found");
  });

  it("sends loopback /sandbox/ URLs on any port straight to the fleet object", async () => {
    const outbound = createOutboundFetch(env);
    for (const origin of ["http://localhost:8787", "http://127.0.0.1:5173", "http://[::1]:9999"]) {
      const res = await outbound(`${origin}/sandbox/api/devices/${SERIAL}`, jsonRequest("PATCH", { battery: 77 }));
      expect(res.status, origin).toBe(200);
      expect((await res.json<{ device: FleetDevice }>()).device.battery).toBe(77);
    }
    const asRequest = new Request(`http://localhost/sandbox/api/devices/${SERIAL}`, jsonRequest("PUT", { battery: 78 }));
    const viaRequest = await outbound(asRequest);
    expect(viaRequest.status).toBe(200);
    await viaRequest.arrayBuffer();
    expect((await stats()).writes_by_serial[SERIAL]).toBe(4);
    expect((await getDevice(SERIAL)).battery).toBe(78);
  });

  it("leaves other URLs, and everything when SANDBOX is off, to the network", async () => {
    const reached: string[] = [];
    const network: typeof fetch = async (input) => {
      reached.push(input instanceof Request ? input.url : input.toString());
      return new Response("from the network");
    };
    const elsewhere = ["http://localhost:8787/api/health", "http://fleet.example.com/sandbox/api/devices/DEV-00001", "http://127.0.0.2/sandbox/x"];
    for (const url of elsewhere) expect(await (await createOutboundFetch(env, network)(url)).text()).toBe("from the network");

    const off = { ...env, SANDBOX: "off" } as Env;
    await createOutboundFetch(off, network)(`http://localhost:8787/sandbox/api/devices/${SERIAL}`);
    expect(reached).toEqual([...elsewhere, `http://localhost:8787/sandbox/api/devices/${SERIAL}`]);
    expect((await stats()).requests).toBe(0);
  });
});
