import { describe, expect, it } from "vitest";
import type { Pagination } from "../../worker/engine/contracts";
import {
  buildListingIndex,
  createDestinationLookup,
  lookupBySerial,
  type ListFetchContract,
  type ListingPage,
  type PerSerialFetchContract,
} from "../../worker/engine/lookup";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { createMemorySerialIndex } from "../../worker/engine/serial-index";
import { makeClient } from "./factories";
import { caught, useLoopbackServers } from "./support/engine-fixtures";
import { deviceXml, devicesXml, fleetApi, makeDevice, makeFleet, type Device } from "./support/fleet";

const serve = useLoopbackServers();

function makePerSerial(baseUrl: string, overrides: Partial<PerSerialFetchContract> = {}): PerSerialFetchContract {
  return {
    mode: "per_serial",
    url_template: `${baseUrl}/devices/{serial}`,
    format: "json",
    record_path: "device",
    serial_path: "serial",
    headers: {},
    ...overrides,
  };
}

function makeList(url: string, overrides: Partial<ListFetchContract> = {}): ListFetchContract {
  return {
    mode: "list",
    url,
    format: "json",
    pagination: { style: "page", page_param: "page", size_param: "per_page", page_size: 2, first_page: 1 },
    records_path: "data",
    serial_path: "serial",
    headers: {},
    ...overrides,
  };
}

// A destination that serves GET /devices/{serial} from a fleet, in JSON or XML.
async function serveDevices(fleet: Device[], format: "json" | "xml" = "json") {
  return serve((request) => {
    const serial = decodeURIComponent(request.url.pathname.replace("/devices/", ""));
    const device = fleet.find((candidate) => candidate.serial === serial);
    if (device === undefined) return { status: 404, body: { error: "not found" } };
    return format === "json" ? { body: { device } } : { headers: { "content-type": "application/xml" }, body: `<?xml version="1.0"?>${deviceXml(device)}` };
  });
}

describe("per-serial lookup", () => {
  it("finds the destination record at the record path", async () => {
    const device = makeDevice(1);
    const server = await serveDevices([device]);
    const { client } = makeClient();

    const { outcome, fetch } = await lookupBySerial({ client, contract: makePerSerial(server.url), serial: device.serial });

    expect(outcome).toEqual({ status: "found", record: device });
    expect(fetch).toMatchObject({ status: 200, attempts: 1 });
    expect(fetch!.bytes_received).toBeGreaterThan(0);
    expect(server.requests[0]!.headers.accept).toBe("application/json");
  });

  it("keeps the answer's ETag header with the record it found, for a write's If-Match", async () => {
    const device = makeDevice(1);
    const server = await serve(() => ({ headers: { etag: 'W/"rev-9"' }, body: { device } }));
    const { client } = makeClient();

    const { outcome } = await lookupBySerial({ client, contract: makePerSerial(server.url), serial: device.serial });

    expect(outcome).toEqual({ status: "found", record: device, etag: 'W/"rev-9"' });
  });

  it("encodes the serial into the URL", async () => {
    const device = makeDevice(1, { serial: "SN 1/2?x" });
    const server = await serveDevices([device]);
    const { client } = makeClient();

    const { outcome } = await lookupBySerial({ client, contract: makePerSerial(server.url), serial: device.serial });

    expect(outcome.status).toBe("found");
    expect(server.requests[0]!.url.pathname).toBe("/devices/SN%201%2F2%3Fx");
  });

  it("reads an XML destination record", async () => {
    const device = makeDevice(7);
    const server = await serveDevices([device], "xml");
    const { client } = makeClient();
    const contract = makePerSerial(server.url, { format: "xml" });

    const { outcome } = await lookupBySerial({ client, contract, serial: device.serial });

    expect(outcome).toEqual({ status: "found", record: { serial: device.serial, name: device.name } });
    expect(server.requests[0]!.headers.accept).toContain("application/xml");
  });

  it("picks the matching entry when the endpoint answers with a list", async () => {
    const server = await serve(() => ({ body: { results: [makeDevice(2), makeDevice(3)] } }));
    const { client } = makeClient();
    const contract = makePerSerial(server.url, { url_template: `${server.url}/search?serial={serial}`, record_path: "results" });

    const { outcome } = await lookupBySerial({ client, contract, serial: "SN-0003" });

    expect(outcome).toEqual({ status: "found", record: makeDevice(3) });
  });

  const missingCases = [
    { name: "a 404", reply: { status: 404 }, reason: "not_found" },
    { name: "an empty body", reply: { status: 200, body: "" }, reason: "empty_response" },
    { name: "no record at the record path", reply: { body: { device: null } }, reason: "empty_response" },
    { name: "another serial", reply: { body: { device: makeDevice(9) } }, reason: "serial_mismatch" },
    { name: "a record without the serial field", reply: { body: { device: { name: "x" } } }, reason: "serial_mismatch" },
  ] as const;

  it.each(missingCases)("treats $name as Missing Destination", async ({ reply, reason }) => {
    const server = await serve(() => reply);
    const { client } = makeClient();

    const { outcome } = await lookupBySerial({ client, contract: makePerSerial(server.url), serial: "SN-0001" });

    expect(outcome).toMatchObject({ status: "missing", reason });
  });

  it("names the serial it found when they differ", async () => {
    const server = await serve(() => ({ body: { device: makeDevice(9) } }));
    const { client } = makeClient();

    const { outcome } = await lookupBySerial({ client, contract: makePerSerial(server.url), serial: "SN-0001" });

    expect(outcome).toMatchObject({ detail: 'the destination record\'s serial at "serial" is "SN-0009", not "SN-0001"' });
  });

  it("fails on a response that is not the contract's format", async () => {
    const server = await serve(() => ({ body: { device: makeDevice(1) } }));
    const { client } = makeClient();
    const contract = makePerSerial(server.url, { format: "xml" });

    const error = await caught(lookupBySerial({ client, contract, serial: "SN-0001" }));

    expect(error).toMatchObject({
      code: "unparseable_response",
      hint: "Confirm the fetch contract format (JSON/XML) matches what the endpoint returns",
    });
  });

  it("reports each serial's outcome, errors included, from a batch", async () => {
    const fleet = makeFleet(2);
    const server = await serve((request) => {
      const serial = request.url.pathname.replace("/devices/", "");
      if (serial === "BROKEN") return { status: 200, body: "<html>maintenance</html>" };
      const device = fleet.find((candidate) => candidate.serial === serial);
      return device === undefined ? { status: 404 } : { body: { device } };
    });
    const { client } = makeClient();
    const lookup = createDestinationLookup({ client, contract: makePerSerial(server.url) });

    const results = await lookup.lookupMany(["SN-0001", "SN-0002", "SN-0404", "BROKEN"]);

    expect(results.get("SN-0001")!.outcome).toEqual({ status: "found", record: fleet[0] });
    expect(results.get("SN-0002")!.outcome.status).toBe("found");
    expect(results.get("SN-0404")!.outcome).toMatchObject({ status: "missing", reason: "not_found" });
    expect(results.get("BROKEN")!.outcome).toMatchObject({ status: "error", error: { code: "unparseable_response" } });
  });

  it("fails with the credential hint when the destination refuses it", async () => {
    const server = await serve(() => ({ status: 401, body: { error: "bad token" } }));
    const { client } = makeClient();

    const error = await caught(lookupBySerial({ client, contract: makePerSerial(server.url), serial: "SN-0001" }));

    expect(error).toMatchObject({ code: "auth_failed", http_status: 401, phase: "lookup" });
    expect(error).toHaveProperty("hint", expect.stringContaining("credential"));
  });
});

async function buildIndex(pages: AsyncIterable<ListingPage>): Promise<ListingPage[]> {
  const all: ListingPage[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

describe("list-mode lookup", () => {
  it("indexes a paged JSON listing once and answers lookups from it", async () => {
    const fleet = makeFleet(5);
    const server = await serve(fleetApi(fleet, { pageSize: 2 }));
    const { client } = makeClient();
    const index = createMemorySerialIndex();
    const contract = makeList(`${server.url}/page`);

    const pages = await buildIndex(buildListingIndex({ client, contract, index }));
    const requestsAfterBuild = server.requests.length;
    const results = await createDestinationLookup({ client, contract, index }).lookupMany(["SN-0004", "SN-0099"]);

    expect(pages.map((page) => page.indexed)).toEqual([2, 2, 1]);
    expect(index.size).toBe(5);
    expect(results.get("SN-0004")).toEqual({ outcome: { status: "found", record: fleet[3] }, fetch: null });
    expect(results.get("SN-0099")!.outcome).toMatchObject({ status: "missing", reason: "not_in_listing" });
    expect(server.requests).toHaveLength(requestsAfterBuild);
  });

  it("stores a page only after the turn that sent the next page's request has ended", async () => {
    const fleet = makeFleet(5);
    const server = await serve(fleetApi(fleet, { pageSize: 2 }));
    const fetched: string[] = [];
    const runtime = createSystemRuntime({
      fetch: (input, init) => {
        fetched.push(new URL(String(input)).search);
        return fetch(input, init);
      },
    });
    const { client } = makeClient({ runtime });
    const memory = createMemorySerialIndex();
    const stored: Array<{ serials: string[]; fetched: string[] }> = [];
    const index = {
      ...memory,
      put: (entries: Array<[string, unknown]>) => {
        stored.push({ serials: entries.map(([serial]) => serial), fetched: [...fetched] });
        return memory.put(entries);
      },
    };
    // Each turn ends when the test says so.
    const turns: Array<() => void> = [];
    const nextTurn = () => new Promise<void>((resolve) => turns.push(resolve));

    const built = buildIndex(buildListingIndex({ client, contract: makeList(`${server.url}/page`), index, nextTurn }));
    for (let page = 1; page <= 2; page += 1) {
      await expect.poll(() => turns.length).toBe(1);
      // The page waits for its turn to end, with the request for the page after it already made.
      expect(stored).toHaveLength(page - 1);
      expect(fetched).toHaveLength(page + 1);
      turns.shift()!();
    }
    await built;

    // The last page has no page after it, so nothing to wait for.
    expect(turns).toHaveLength(0);
    expect(stored.map((page) => page.serials)).toEqual([["SN-0001", "SN-0002"], ["SN-0003", "SN-0004"], ["SN-0005"]]);
    expect(stored.map((page) => page.fetched.length)).toEqual([2, 3, 3]);
  });

  it("indexes an XML listing, including pages of one record and none", async () => {
    const fleet = makeFleet(3);
    const server = await serve(fleetApi(fleet, { pageSize: 2, format: "xml" }));
    const { client } = makeClient();
    const index = createMemorySerialIndex();
    const pagination: Pagination = { style: "page", page_param: "page", page_size: 2, first_page: 1 };
    const contract = makeList(`${server.url}/page`, { format: "xml", records_path: "devices.device", pagination });

    const pages = await buildIndex(buildListingIndex({ client, contract, index }));
    const found = await index.getMany(["SN-0003"]);

    expect(pages.map((page) => page.indexed)).toEqual([2, 1, 0]);
    expect(found.get("SN-0003")).toEqual({ serial: "SN-0003", name: "Device 3" });
  });

  it("resumes building the index from a checkpointed page", async () => {
    const fleet = makeFleet(6);
    const server = await serve(fleetApi(fleet, { pageSize: 2 }));
    const { client } = makeClient();
    const index = createMemorySerialIndex();
    const contract = makeList(`${server.url}/cursor`, {
      pagination: { style: "cursor", cursor_param: "cursor", next_cursor_path: "next" },
    });

    const first = buildListingIndex({ client, contract, index });
    const { value } = await first.next();
    await first.return();
    const checkpoint = JSON.parse(JSON.stringify((value as ListingPage).nextState));
    const rest = await buildIndex(buildListingIndex({ client, contract, index, resume: checkpoint }));

    expect(rest.map((page) => page.indexed)).toEqual([2, 2]);
    expect(index.size).toBe(6);
    // The page after the checkpoint was already asked for ahead when the first read stopped: it may have arrived.
    expect([
      [null, "o2", "o4"],
      [null, "o2", "o2", "o4"],
    ]).toContainEqual(server.requests.map((request) => request.url.searchParams.get("cursor")));
  });

  it("asks for the next page while the caller stores this one, once, and stores nothing of it when the read stops", async () => {
    const api = fleetApi(makeFleet(6), { pageSize: 2 });
    const arrivals = new Map<string | null, () => void>();
    const arrived = (cursor: string) => new Promise<void>((resolve) => arrivals.set(cursor, resolve));
    const [second, third] = [arrived("o2"), arrived("o4")];
    const server = await serve((request) => {
      arrivals.get(request.url.searchParams.get("cursor"))?.();
      return api(request);
    });
    const { client } = makeClient();
    const index = createMemorySerialIndex();
    const contract = makeList(`${server.url}/cursor`, {
      pagination: { style: "cursor", cursor_param: "cursor", next_cursor_path: "next" },
    });

    const pages = buildListingIndex({ client, contract, index });
    await pages.next();
    // The second page reaches the destination before the caller asks for it, and is not asked for again when it does.
    await second;
    expect(((await pages.next()).value as ListingPage).indexed).toBe(2);
    await third;
    await pages.return();

    expect(server.requests.map((request) => request.url.searchParams.get("cursor"))).toEqual([null, "o2", "o4"]);
    expect(index.size).toBe(4);
  });

  it("asks for no page ahead when the caller says it stops after this one", async () => {
    const server = await serve(fleetApi(makeFleet(6), { pageSize: 2 }));
    const { client } = makeClient();
    const index = createMemorySerialIndex();
    const contract = makeList(`${server.url}/cursor`, {
      pagination: { style: "cursor", cursor_param: "cursor", next_cursor_path: "next" },
    });

    const pages = buildListingIndex({ client, contract, index, prefetch: () => false });
    await pages.next();
    await pages.return();

    expect(server.requests.map((request) => request.url.searchParams.get("cursor"))).toEqual([null]);
  });

  it("reports duplicate and unreadable listing entries", async () => {
    const server = await serve(() => ({ body: { data: [makeDevice(1), makeDevice(1, { name: "newer" }), { name: "?" }] } }));
    const { client } = makeClient();
    const index = createMemorySerialIndex();
    const contract = makeList(`${server.url}/all`, { pagination: { style: "none" } });

    const [page] = await buildIndex(buildListingIndex({ client, contract, index }));

    expect(page).toMatchObject({ indexed: 1, duplicates: ["SN-0001"], unreadable: [{ index: 2 }] });
    expect((await index.getMany(["SN-0001"])).get("SN-0001")).toMatchObject({ name: "newer" });
  });

  it("fails with the fetch contract hint when the listing path is wrong", async () => {
    const server = await serve(() => ({ headers: { "content-type": "application/xml" }, body: devicesXml(makeFleet(1)) }));
    const { client } = makeClient();
    const contract = makeList(`${server.url}/all`, {
      format: "xml",
      records_path: "fleet.device",
      pagination: { style: "none" },
    });

    const error = await caught(buildIndex(buildListingIndex({ client, contract, index: createMemorySerialIndex() })));

    expect(error).toMatchObject({ code: "invalid_response_shape", phase: "listing" });
    expect(error).toHaveProperty("hint", expect.stringContaining("fetch contract"));
  });
});
