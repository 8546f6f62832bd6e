import { describe, expect, it } from "vitest";
import { UpdateContractSchema, type UpdateContract } from "../../worker/engine/contracts";
import { bulkIdempotencyKey, buildUpdateRequests, compileUpdateContract, isSuccessStatus } from "../../worker/engine/payload";
import { utf8Length } from "../../worker/engine/utf8";
import type { Decision } from "../../worker/engine/reconcile";
import { parseXml } from "../../worker/engine/xml";

function makeUpdate(fields: Partial<Record<keyof UpdateContract, unknown>> = {}) {
  return compileUpdateContract(UpdateContractSchema.parse({ method: "PATCH", url_template: "https://dest.example/devices/{id}", ...fields }));
}

function makeWrite(serial: string, payload: Record<string, unknown>): Decision {
  return { serial, kind: "write", changes: [], payload };
}

const destinations = new Map<string, unknown>([
  ["SN-1", { id: 101 }],
  ["SN-2", { id: 102 }],
  ["SN-3", { id: 103 }],
]);

describe("update requests", () => {
  it("send one JSON request per record to the URL resolved from the destination record", () => {
    const { requests, rejected } = buildUpdateRequests(makeUpdate(), [makeWrite("SN-1", { name: "A", meta: { v: 1 } })], destinations);
    expect(rejected).toEqual([]);
    expect(requests).toEqual([
      {
        method: "PATCH",
        url: "https://dest.example/devices/101",
        headers: { "content-type": "application/json" },
        body: '{"name":"A","meta":{"v":1}}',
        bytes: 27,
        serials: ["SN-1"],
        idempotencyKey: null,
        retrySafe: true,
      },
    ]);
  });

  it("send a form as Stripe-style APIs read one: nested fields in brackets, lists by index, null as an empty value", () => {
    const payload = { name: "Pump & co", active: true, battery: 87, metadata: { site: "AMS 01", "order id": "7" }, tags: ["a", "b"], note: null, extra: {} };
    const { requests } = buildUpdateRequests(makeUpdate({ formatter: "form", method: "POST" }), [makeWrite("SN-1", payload)], destinations);
    const request = requests[0]!;
    expect(request.headers).toEqual({ "content-type": "application/x-www-form-urlencoded" });
    expect(request.body).toBe(
      "name=Pump+%26+co&active=true&battery=87&metadata%5Bsite%5D=AMS+01&metadata%5Border+id%5D=7&tags%5B0%5D=a&tags%5B1%5D=b&note=&extra=",
    );
    expect([...new URLSearchParams(request.body)]).toEqual([
      ["name", "Pump & co"],
      ["active", "true"],
      ["battery", "87"],
      ["metadata[site]", "AMS 01"],
      ["metadata[order id]", "7"],
      ["tags[0]", "a"],
      ["tags[1]", "b"],
      ["note", ""],
      ["extra", ""],
    ]);
    expect(request.bytes).toBe(utf8Length(request.body));
  });

  it("refuse bulk mode for a form, which carries one record", () => {
    const parsed = UpdateContractSchema.safeParse({
      method: "POST",
      url_template: "https://dest.example/devices",
      formatter: "form",
      bulk: { max_records: 10, records_key: "devices" },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual(["bulk: a bulk request is JSON or XML: a form carries one record"]);
  });

  it("skip decisions that are not writes", () => {
    const skip: Decision = { serial: "SN-2", kind: "skipped_no_change", changes: [], payload: null };
    expect(buildUpdateRequests(makeUpdate(), [skip], destinations).requests).toEqual([]);
  });

  it("reject a record whose URL placeholder has no value, without failing the others", () => {
    const { requests, rejected } = buildUpdateRequests(
      makeUpdate(),
      [makeWrite("SN-1", { a: 1 }), makeWrite("SN-9", { a: 2 })],
      (serial) => destinations.get(serial) ?? { name: "no id" },
    );
    expect(requests.map((r) => r.serials)).toEqual([["SN-1"]]);
    expect(rejected).toEqual([{ serial: "SN-9", error: "URL placeholder {id} has no value" }]);
  });

  it("build an XML body under xml_root with escaped values", () => {
    const update = makeUpdate({ formatter: "xml", xml_root: "device" });
    const { requests } = buildUpdateRequests(update, [makeWrite("SN-1", { name: "A & <B>", site: { code: 7 } })], destinations);
    const request = requests[0]!;
    expect(request.headers["content-type"]).toBe("application/xml; charset=utf-8");
    expect(request.body).toBe('<?xml version="1.0" encoding="UTF-8"?><device><name>A &amp; &lt;B&gt;</name><site><code>7</code></site></device>');
    expect(parseXml(request.body)).toEqual({ device: { name: "A & <B>", site: { code: "7" } } });
  });

  it("keep a Content-Type the contract sets explicitly", () => {
    const update = makeUpdate({ headers: { "Content-Type": "application/vnd.fleet+json" } });
    const { requests } = buildUpdateRequests(update, [makeWrite("SN-1", { a: 1 })], destinations);
    expect(requests[0]!.headers).toEqual({ "Content-Type": "application/vnd.fleet+json" });
  });

  it("batch bulk JSON writes under records_key, at most max_records per request", () => {
    const update = makeUpdate({
      method: "POST",
      url_template: "https://dest.example/devices/bulk",
      bulk: { max_records: 2, records_key: "devices", serial_field: "serial" },
    });
    const writes = ["SN-1", "SN-2", "SN-3"].map((serial, i) => makeWrite(serial, { n: i }));
    const { requests } = buildUpdateRequests(update, writes, destinations);
    expect(requests.map((r) => r.serials)).toEqual([["SN-1", "SN-2"], ["SN-3"]]);
    expect(requests.every((r) => r.url === "https://dest.example/devices/bulk")).toBe(true);
    expect(JSON.parse(requests[0]!.body)).toEqual({
      devices: [
        { serial: "SN-1", n: 0 },
        { serial: "SN-2", n: 1 },
      ],
    });
  });

  it("batch bulk XML writes as one records_key element per record", () => {
    const update = makeUpdate({
      method: "PUT",
      url_template: "https://dest.example/devices",
      formatter: "xml",
      xml_root: "devices",
      bulk: { max_records: 10, records_key: "device", serial_field: "meta.serial" },
    });
    const { requests } = buildUpdateRequests(update, [makeWrite("SN-1", { name: "A", meta: { v: 1 } }), makeWrite("SN-2", { name: "B" })], destinations);
    expect(parseXml(requests[0]!.body)).toEqual({
      devices: {
        device: [
          { meta: { serial: "SN-1", v: "1" }, name: "A" },
          { meta: { serial: "SN-2" }, name: "B" },
        ],
      },
    });
  });

  it("leave the decision's payload untouched when adding the bulk serial field", () => {
    const update = makeUpdate({
      url_template: "https://dest.example/bulk",
      bulk: { max_records: 10, records_key: "items", serial_field: "meta.serial" },
    });
    const payload = { meta: { v: 1 } };
    buildUpdateRequests(update, [makeWrite("SN-1", payload)], destinations);
    expect(payload).toEqual({ meta: { v: 1 } });
  });

  it("reject one bulk record that cannot be serialised and send the rest", () => {
    const update = makeUpdate({ url_template: "https://dest.example/bulk", formatter: "xml", xml_root: "r", bulk: { max_records: 5, records_key: "d" } });
    const { requests, rejected } = buildUpdateRequests(update, [makeWrite("SN-1", { a: "ok" }), makeWrite("SN-2", { a: "bad\u0000" })], destinations);
    expect(requests.map((r) => r.serials)).toEqual([["SN-1"]]);
    expect(rejected).toEqual([{ serial: "SN-2", error: "cannot build the XML body: character U+0000 cannot be represented in XML 1.0" }]);
  });

  it("count body bytes as UTF-8", () => {
    expect(utf8Length("aé€😀")).toBe(1 + 2 + 3 + 4);
    expect(utf8Length("\uD800")).toBe(3);
    expect(utf8Length("aé€😀")).toBe(new TextEncoder().encode("aé€😀").length);
  });
});

describe("update requests whose record data would move the host", () => {
  it("reject that record alone and build no request for it", () => {
    // Not valid under today's rules, but a contract saved before them must still never follow record data.
    const update = compileUpdateContract({ method: "PATCH", url_template: "https://dest.example{id}", formatter: "json", headers: {} });
    const records = new Map<string, unknown>([
      ["SN-1", { id: ".evil.example" }],
      ["SN-2", { id: "@evil.example" }],
    ]);
    const { requests, rejected } = buildUpdateRequests(update, [makeWrite("SN-1", { name: "A" }), makeWrite("SN-2", { name: "B" })], records);
    expect(requests).toEqual([]);
    expect(rejected.map((r) => r.serial)).toEqual(["SN-1", "SN-2"]);
    for (const { error } of rejected) expect(error).toMatch(/^url_origin_changed: /);
  });
});

describe("success statuses", () => {
  it("are any 2xx by default", () => {
    const update = makeUpdate();
    expect([200, 201, 204, 299].map((s) => isSuccessStatus(update, s))).toEqual([true, true, true, true]);
    expect([199, 300, 404].map((s) => isSuccessStatus(update, s))).toEqual([false, false, false]);
  });

  it("are exactly the listed ones when the contract lists them", () => {
    const update = makeUpdate({ success_statuses: [200, 409] });
    expect([200, 409, 204].map((s) => isSuccessStatus(update, s))).toEqual([true, true, false]);
  });
});

describe("idempotency keys", () => {
  const bulk = { url_template: "https://dest.example/devices/bulk", bulk: { max_records: 2, records_key: "devices", serial_field: "serial" } };
  const writes = ["SN-3", "SN-1", "SN-2"].map((serial) => makeWrite(serial, { name: serial }));

  it("give every single write the header Idempotency-Key: <job id>:<serial> by default", () => {
    const { requests } = buildUpdateRequests(makeUpdate({ method: "POST" }), [makeWrite("SN 1/ä", { name: "A" })], new Map([["SN 1/ä", { id: 1 }]]), {
      keyScope: "job_1",
    });
    expect(requests[0]).toMatchObject({ idempotencyKey: "job_1:SN%201%2F%C3%A4", retrySafe: true });
    expect(requests[0]!.headers["Idempotency-Key"]).toBe("job_1:SN%201%2F%C3%A4");
  });

  it("give a bulk batch a key that depends only on the serials it holds", () => {
    const first = buildUpdateRequests(makeUpdate({ method: "POST", ...bulk }), writes, destinations, { keyScope: "job_1" }).requests;
    const rebuilt = buildUpdateRequests(makeUpdate({ method: "POST", ...bulk }), [writes[2]!, writes[1]!, writes[0]!], destinations, {
      keyScope: "job_1",
    }).requests;
    expect(first.map((r) => r.idempotencyKey)).toEqual([bulkIdempotencyKey("job_1", ["SN-1", "SN-3"]), bulkIdempotencyKey("job_1", ["SN-2"])]);
    expect(rebuilt.map((r) => r.idempotencyKey)).toEqual([bulkIdempotencyKey("job_1", ["SN-2", "SN-1"]), bulkIdempotencyKey("job_1", ["SN-3"])]);
    expect(bulkIdempotencyKey("job_1", ["SN-1", "SN-3"])).toBe(bulkIdempotencyKey("job_1", ["SN-3", "SN-1"]));
    expect(bulkIdempotencyKey("job_1", ["SN-1", "SN-3"])).not.toBe(bulkIdempotencyKey("job_1", ["SN-1", "SN-2"]));
    expect(bulkIdempotencyKey("job_1", ["SN-1"])).not.toBe(bulkIdempotencyKey("job_2", ["SN-1"]));
    expect(first[0]!.headers["Idempotency-Key"]).toBe(first[0]!.idempotencyKey);
  });

  it("use the contract's header name, and replace a fixed value an older contract set under the default one", () => {
    const named = buildUpdateRequests(makeUpdate({ idempotency_header: "X-Request-Key" }), [makeWrite("SN-1", { a: 1 })], destinations, { keyScope: "job_1" });
    expect(named.requests[0]!.headers).toEqual({ "content-type": "application/json", "X-Request-Key": "job_1:SN-1" });
    const older = buildUpdateRequests(makeUpdate({ headers: { "idempotency-key": "static" } }), [makeWrite("SN-1", { a: 1 })], destinations, {
      keyScope: "job_1",
    });
    expect(older.requests[0]!.headers).toEqual({ "content-type": "application/json", "Idempotency-Key": "job_1:SN-1" });
  });

  it("are left out when the contract turns them off, and only single PUT and PATCH stay safe to retry", () => {
    const keyless = (fields: Record<string, unknown>) =>
      buildUpdateRequests(makeUpdate({ idempotency_header: null, ...fields }), writes.slice(0, 1), destinations, { keyScope: "job_1" }).requests[0]!;
    expect(keyless({ method: "PUT" })).toMatchObject({ idempotencyKey: null, retrySafe: true, headers: { "content-type": "application/json" } });
    expect(keyless({ method: "PATCH" }).retrySafe).toBe(true);
    expect(keyless({ method: "POST" }).retrySafe).toBe(false);
    expect(keyless({ method: "PUT", ...bulk }).retrySafe).toBe(false);
    expect(
      compileUpdateContract(UpdateContractSchema.parse({ method: "PUT", url_template: "https://x.example/{serial}", idempotency_header: false }))
        .idempotencyHeader,
    ).toBeNull();
  });
});
