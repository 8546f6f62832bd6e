// A destination fleet on 127.0.0.1 for benchmarks, run in its own thread (node:worker_threads) started from
// this file's path: Miniflare's D1 proxy blocks the calling thread while workerd answers, so a destination on
// the bench's own thread would answer late. workerData: { serials: string[], pageSize?: number, latencyMs?: number }:
// every request but the /__ controls is answered latencyMs after its body arrived. bulkRecordMs (default 0): a
// bulk request takes that much longer per record it holds, as a destination processing each record would.
// maxInFlight: a request arriving while that many are being answered gets 429 at once (counted as too_many).
//   GET  /devices?cursor=N        pages of { devices: [{ serial, status, firmware }], next_cursor }
//   GET  /devices/{serial}        one device
//   PUT  /devices/{serial}        applies the body; 503 for a serial marked failing (the engine fails the record,
//                                 retried by the next run; a 4xx would fail the whole job as a contract error)
//   POST /devices/bulk { devices: [{ serial, … }] }  applies every item, or none and 422 when the batch holds a
//                                 serial marked refused (a destination validating a whole batch)
//   POST /__drift { serials, fail }  those devices drift from the source ("offline"); fail: their PUTs answer 503
//   POST /__refuse { serials }    bulk batches holding any of these serials answer 422 (replaces the set)
//   GET  /__counts                requests per kind since the last DELETE /__counts, with busy_ms (the sum of
//                                 request durations) and max_in_flight: with a wall time they give the mean
//                                 number of requests the destination had in flight; in_flight_ms[n] is the time
//                                 with exactly n in flight between the first request and the last answer;
//                                 bulk_busy_ms and bulk_span_ms (first bulk request to last bulk answer) give the
//                                 mean number of bulk requests in flight while a run was writing
// Every device starts "offline", so a source saying "online" changes each one on the first live run.
import { createServer } from "node:http";
import { parentPort, workerData } from "node:worker_threads";

const { serials, pageSize = 1_000, latencyMs = 0, bulkRecordMs = 0, maxInFlight = null } = workerData;
const ordered = [...serials].sort();
const devices = new Map(ordered.map((serial) => [serial, { serial, status: "offline", firmware: "1.0.0" }]));
const failing = new Set();
let refused = new Set();
const zero = () => ({
  list: 0,
  get: 0,
  put: 0,
  rejected: 0,
  other: 0,
  busy_ms: 0,
  max_in_flight: 0,
  in_flight_ms: [],
  bulk: 0,
  bulk_records: 0,
  bulk_rejected: 0,
  too_many: 0,
  bulk_busy_ms: 0,
  bulk_span_ms: 0,
  bulk_first_at: null,
  // Stretches of at least IDLE_GAP_MS with nothing in flight between the first request and the last answer:
  // [ms since the first request, length in ms], the first IDLE_GAPS_KEPT of them.
  idle_gaps: [],
  first_at: null,
});
const IDLE_GAP_MS = 20;
const IDLE_GAPS_KEPT = 500;
let counts = zero();
let inFlight = 0;
let answering = 0;
let levelSince = null;
// Time spent at the current level of requests in flight, before it changes.
function level(change) {
  const now = performance.now();
  counts.first_at ??= now;
  if (levelSince !== null) counts.in_flight_ms[inFlight] = (counts.in_flight_ms[inFlight] ?? 0) + (now - levelSince);
  if (levelSince !== null && inFlight === 0 && now - levelSince >= IDLE_GAP_MS && counts.idle_gaps.length < IDLE_GAPS_KEPT) {
    counts.idle_gaps.push([Math.round(levelSince - counts.first_at), Math.round(now - levelSince)]);
  }
  inFlight += change;
  levelSince = now;
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function send(res, status, body) {
  if (res.answering === true) {
    res.answering = false;
    answering -= 1;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? {} : JSON.parse(text);
}

async function answer(req, res) {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const body = await readJson(req);
  if (url.pathname === "/__counts") {
    const current = counts;
    if (req.method === "DELETE") {
      counts = zero();
      levelSince = inFlight === 0 ? null : performance.now();
    }
    current.in_flight_ms = Array.from(current.in_flight_ms, (ms) => Math.round(ms ?? 0));
    delete current.bulk_first_at;
    delete current.first_at;
    return send(res, 200, current);
  }
  if (url.pathname === "/__drift" && req.method === "POST") {
    for (const serial of body.serials) {
      const device = devices.get(serial);
      if (device !== undefined) device.status = "offline";
      if (body.fail) failing.add(serial);
      else failing.delete(serial);
    }
    return send(res, 200, { drifted: body.serials.length, failing: failing.size });
  }
  if (url.pathname === "/__refuse" && req.method === "POST") {
    refused = new Set(body.serials);
    return send(res, 200, { refused: refused.size });
  }
  // Requests being answered, until their answer is written: the socket's close comes later, and a client that
  // sends its next request on the answer would otherwise be refused for one that is already done.
  if (maxInFlight !== null && answering >= maxInFlight) {
    counts.too_many += 1;
    return send(res, 429, { error: `more than ${maxInFlight} requests at once` });
  }
  answering += 1;
  res.answering = true;
  const arrived = performance.now();
  const tally = counts;
  level(+1);
  tally.max_in_flight = Math.max(tally.max_in_flight, inFlight);
  const bulk = url.pathname === "/devices/bulk" && req.method === "POST";
  if (bulk) tally.bulk_first_at ??= arrived;
  res.once("close", () => {
    level(-1);
    const now = performance.now();
    tally.busy_ms += now - arrived;
    if (!bulk) return;
    tally.bulk_busy_ms += now - arrived;
    tally.bulk_span_ms = now - tally.bulk_first_at;
  });
  if (latencyMs > 0) await sleep(latencyMs);
  if (req.method === "GET" && url.pathname === "/devices") {
    counts.list += 1;
    const start = Number(url.searchParams.get("cursor") ?? 0);
    const page = ordered.slice(start, start + pageSize).map((serial) => devices.get(serial));
    const next = start + pageSize < ordered.length ? String(start + pageSize) : null;
    return send(res, 200, { devices: page, next_cursor: next });
  }
  if (url.pathname === "/devices/bulk" && req.method === "POST") {
    counts.bulk += 1;
    const items = Array.isArray(body.devices) ? body.devices : [];
    if (bulkRecordMs > 0) await sleep(bulkRecordMs * items.length);
    const bad = items.filter((item) => refused.has(item.serial)).map((item) => item.serial);
    if (bad.length > 0) {
      counts.bulk_rejected += 1;
      return send(res, 422, { error: `invalid device ${bad.join(", ")}` });
    }
    counts.bulk_records += items.length;
    for (const item of items) {
      const device = devices.get(item.serial);
      if (device !== undefined) Object.assign(device, item);
    }
    return send(res, 200, { ok: true, count: items.length });
  }
  const match = /^\/devices\/([^/]+)$/.exec(url.pathname);
  const device = match === null ? undefined : devices.get(decodeURIComponent(match[1]));
  if (match !== null && req.method === "GET") {
    counts.get += 1;
    return device === undefined ? send(res, 404, { error: "not found" }) : send(res, 200, { device });
  }
  if (match !== null && req.method === "PUT") {
    counts.put += 1;
    if (device === undefined) return send(res, 404, { error: "not found" });
    if (failing.has(device.serial)) {
      counts.rejected += 1;
      return send(res, 503, { error: `device ${device.serial} is unavailable` });
    }
    Object.assign(device, body);
    return send(res, 200, { device });
  }
  counts.other += 1;
  return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
}

const server = createServer((req, res) => {
  answer(req, res).catch((error) => send(res, 500, { error: String(error) }));
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => parentPort?.postMessage({ port: server.address().port }));
