import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";

// The committed document is the one the worker serves (a worker test holds them equal). Clients that validate with it
// (OpenAPI 3.1 schemas are JSON Schema 2020-12) must be able to compile every schema in it: Ajv refuses, for one, the
// draft-04 `id` keyword that a named zod schema under a wrapper once leaked into ConnectionConfig.limits.
type Json = Record<string, unknown>;
const document = JSON.parse(readFileSync("cli/generated/openapi.json", "utf8")) as {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
};

// Components are added once under their own id; every $ref into them is rewritten to point there.
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
const rebased = (schema: unknown): Json => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as Json;
ajv.addSchema({ $id: "doc", components: rebased(document.components) });

function bodySchemas(): Array<[string, Json]> {
  const found: Array<[string, Json]> = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const at = `${method.toUpperCase()} ${path}`;
      const request = (operation.requestBody as { content?: Record<string, { schema?: Json }> } | undefined)?.content ?? {};
      for (const [type, media] of Object.entries(request)) if (media.schema) found.push([`${at} request ${type}`, media.schema]);
      for (const [status, response] of Object.entries((operation.responses ?? {}) as Record<string, { content?: Record<string, { schema?: Json }> }>)) {
        for (const [type, media] of Object.entries(response.content ?? {})) if (media.schema) found.push([`${at} ${status} ${type}`, media.schema]);
      }
    }
  }
  return found;
}

// Every schema object in the document that declares a default, with where it is.
function schemasWithDefaults(node: unknown, at: string, found: Array<[string, Json]> = []): Array<[string, Json]> {
  if (Array.isArray(node)) node.forEach((item, i) => schemasWithDefaults(item, `${at}/${i}`, found));
  else if (node !== null && typeof node === "object") {
    const object = node as Json;
    if ("default" in object && ("type" in object || "$ref" in object || "anyOf" in object || "oneOf" in object)) found.push([at, object]);
    for (const [key, value] of Object.entries(object))
      if (key !== "default" && key !== "example" && key !== "examples") schemasWithDefaults(value, `${at}/${key}`, found);
  }
  return found;
}

describe("the OpenAPI document under a JSON Schema 2020-12 validator", () => {
  it("compiles every component schema", () => {
    const names = Object.keys(document.components.schemas);
    expect(names.length).toBeGreaterThan(50);
    for (const name of names) expect(() => ajv.getSchema(`doc#/components/schemas/${name}`), name).not.toThrow();
  });

  // A schema whose own default it refuses tells clients one thing and does another. (The nullable schedule a hand-set
  // type broke lost its default with its null, so it is checked by name below.)
  it("accepts every default it declares", () => {
    const found = schemasWithDefaults(document, "#");
    expect(found.length).toBeGreaterThan(50);
    for (const [at, schema] of found) {
      const validate = ajv.compile(rebased(schema));
      expect(validate(schema.default), `${at}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it("compiles every request and response body, and a body tells a good value from a bad one", () => {
    const schemas = bodySchemas();
    expect(schemas.length).toBeGreaterThan(100);
    for (const [at, schema] of schemas) expect(() => ajv.compile(rebased(schema)), at).not.toThrow();

    // A cron schedule may be null (no schedule): a type fixed by hand once dropped the null.
    const create = ajv.compile(rebased(document.components.schemas.CreateConnectionRequest));
    const body = { credential_id: "cred_1", name: "n", config: {} };
    expect(((create({ ...body, schedule: null }) ? [] : create.errors) ?? []).filter((error) => error.instancePath === "/schedule")).toEqual([]);
    expect((create({ ...body, schedule: 5 }) ? [] : (create.errors ?? [])).some((error) => error.instancePath === "/schedule")).toBe(true);

    const limits = ajv.compile(rebased((document.components.schemas.ConnectionConfig!.properties as Json).limits));
    expect(limits({ concurrency: 4 })).toBe(true);
    expect(limits({ concurrency: 7 })).toBe(false);
  });
});
