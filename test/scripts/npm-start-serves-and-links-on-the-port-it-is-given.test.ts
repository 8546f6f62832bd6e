import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM script without type declarations
import { devServerArgs, ensureDevVars } from "../../scripts/dev-bootstrap.mjs";

const dirs: string[] = [];
function devVarsFile(text?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "osk-port-"));
  dirs.push(dir);
  const file = join(dir, ".dev.vars");
  if (text !== undefined) writeFileSync(file, text);
  return file;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("npm start on a chosen PORT", () => {
  it("serves on PORT and points PUBLIC_URL at it", () => {
    const server = devServerArgs({ env: { PORT: "8796" }, devVarsFile: devVarsFile("SANDBOX=on\n") });
    expect(server).toEqual({
      port: "8796",
      publicUrl: "http://localhost:8796",
      args: ["dev", "--port", "8796", "--var", "PUBLIC_URL:http://localhost:8796"],
    });
  });

  it("uses 8787 without PORT and passes extra arguments on", () => {
    const server = devServerArgs({ env: {}, devVarsFile: devVarsFile(), extra: ["--ip", "0.0.0.0"] });
    expect(server.args).toEqual(["dev", "--port", "8787", "--var", "PUBLIC_URL:http://localhost:8787", "--ip", "0.0.0.0"]);
  });

  it("keeps a PUBLIC_URL the developer set, in the environment or in .dev.vars", () => {
    const fromEnv = devServerArgs({ env: { PORT: "8796", PUBLIC_URL: "https://sync.example.com" }, devVarsFile: devVarsFile() });
    expect(fromEnv.args).toEqual(["dev", "--port", "8796", "--var", "PUBLIC_URL:https://sync.example.com"]);
    const fromFile = devServerArgs({ env: { PORT: "8796" }, devVarsFile: devVarsFile("PUBLIC_URL=https://tunnel.example.com\n") });
    expect(fromFile).toMatchObject({ publicUrl: null, args: ["dev", "--port", "8796"] });
  });

  it("refuses a PORT that is not a port number before anything starts", () => {
    expect(() => devServerArgs({ env: { PORT: "87a6" }, devVarsFile: devVarsFile() })).toThrow(/PORT must be a port number/);
  });

  it("does not copy the example's commented PUBLIC_URL into .dev.vars, so the port keeps deciding", () => {
    const file = devVarsFile();
    ensureDevVars({ devVarsFile: file, exampleFile: join(process.cwd(), ".dev.vars.example") });
    expect(devServerArgs({ env: { PORT: "8796" }, devVarsFile: file }).publicUrl).toBe("http://localhost:8796");
  });
});
