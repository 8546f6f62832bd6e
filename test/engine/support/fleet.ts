import type { LoopbackHandler, LoopbackReply, LoopbackRequest } from "./loopback-server";

export interface Device {
  serial: string;
  name: string;
  updated_at: string;
}

export function makeDevice(i: number, overrides: Partial<Device> = {}): Device {
  const minute = String(i % 60).padStart(2, "0");
  return { serial: `SN-${String(i).padStart(4, "0")}`, name: `Device ${i}`, updated_at: `2026-11-20T10:${minute}:00Z`, ...overrides };
}

export function makeFleet(count: number): Device[] {
  return Array.from({ length: count }, (_, i) => makeDevice(i + 1));
}

export function deviceXml(device: Device): string {
  return `<device><serial>${device.serial}</serial><name>${device.name}</name></device>`;
}

export function devicesXml(devices: Device[]): string {
  return `<?xml version="1.0"?><devices>${devices.map(deviceXml).join("")}</devices>`;
}

export interface FleetApiOptions {
  pageSize?: number;
  // ndjson and csv bodies are the records alone: paging reads nothing from them (no cursor, next URL or has_more).
  format?: "json" | "xml" | "ndjson" | "csv";
}

export function devicesNdjson(devices: Device[]): string {
  return devices.map((device) => `${JSON.stringify(device)}\n`).join("");
}

export function devicesCsv(devices: Device[]): string {
  const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  return ["serial,name,updated_at", ...devices.map((d) => [d.serial, d.name, d.updated_at].map(quote).join(","))].map((line) => `${line}\r\n`).join("");
}

// One fake source/destination API speaking every pagination style the contracts support, by path:
// /page (page & per_page), /offset (offset & limit, at most pageSize a page, X-Total-Count), /cursor (cursor → body.next),
// /keyset (starting_after the last serial, body.has_more), /link (Link header), /next-url (body.links.next).
export function fleetApi(devices: Device[], options: FleetApiOptions = {}): LoopbackHandler {
  const pageSize = options.pageSize ?? 2;
  const body = (items: Device[], extra: Record<string, unknown> = {}): LoopbackReply["body"] => {
    switch (options.format) {
      case "xml":
        return devicesXml(items);
      case "ndjson":
        return devicesNdjson(items);
      case "csv":
        return devicesCsv(items);
      default:
        return { data: items, ...extra };
    }
  };

  return (request: LoopbackRequest): LoopbackReply => {
    const query = request.url.searchParams;
    const since = query.get("updated_since");
    const scope = since === null ? devices : devices.filter((device) => device.updated_at > since);
    switch (request.url.pathname) {
      case "/all":
        return { body: body(scope) };
      case "/page": {
        const page = Number(query.get("page") ?? "1");
        const size = Number(query.get("per_page") ?? pageSize);
        return { body: body(scope.slice((page - 1) * size, page * size)) };
      }
      case "/offset": {
        // Like many APIs, it serves at most its own page size whatever the limit asks for.
        const offset = Number(query.get("offset") ?? "0");
        const size = Math.min(Number(query.get("limit") ?? pageSize), pageSize);
        return { headers: { "x-total-count": String(scope.length) }, body: body(scope.slice(offset, offset + size)) };
      }
      case "/keyset": {
        const after = query.get("starting_after");
        const start = after === null ? 0 : scope.findIndex((device) => device.serial > after);
        const items = start === -1 ? [] : scope.slice(start, start + pageSize);
        return { body: body(items, { has_more: start !== -1 && start + pageSize < scope.length }) };
      }
      case "/cursor": {
        const offset = Number(query.get("cursor")?.replace("o", "") ?? "0");
        const end = offset + pageSize;
        return { body: body(scope.slice(offset, end), { next: end < scope.length ? `o${end}` : null }) };
      }
      case "/link":
      case "/next-url": {
        const page = Number(query.get("p") ?? "1");
        const items = scope.slice((page - 1) * pageSize, page * pageSize);
        const more = page * pageSize < scope.length;
        const nextUrl = `${request.url.pathname}?p=${page + 1}${since === null ? "" : `&updated_since=${since}`}`;
        if (request.url.pathname === "/link") {
          const links = [`</link?p=1>; rel="first"`, ...(more ? [`<${nextUrl}>; rel="next"`] : [])];
          return { headers: { link: links.join(", ") }, body: body(items) };
        }
        return { body: body(items, { links: { next: more ? nextUrl : null } }) };
      }
      default:
        return { status: 404 };
    }
  };
}
