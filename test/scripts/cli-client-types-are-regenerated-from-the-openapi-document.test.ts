import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM script without type declarations
import { DOCUMENT_FILE, TYPES_FILE, generateTypes } from "../../scripts/openapi-client.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");

// The document itself is compared with what the worker serves in
// test/worker/api/openapi-document-and-reference-page-describe-the-api.test.ts.
describe("the CLI's generated client types", { timeout: 60_000 }, () => {
  it("are what openapi-typescript makes of the committed document (run `npm run openapi:client`)", async () => {
    expect(await generateTypes(JSON.parse(read(DOCUMENT_FILE)))).toBe(read(TYPES_FILE));
  });

  it("change when a route is added to the document", async () => {
    const document = JSON.parse(read(DOCUMENT_FILE));
    document.paths["/api/added-for-the-test"] = { get: { responses: { 204: { description: "Nothing." } } } };
    const types = await generateTypes(document);
    expect(types).toContain('"/api/added-for-the-test"');
    expect(types).not.toBe(read(TYPES_FILE));
  });
});
