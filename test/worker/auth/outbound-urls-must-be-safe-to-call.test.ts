import { describe, expect, it } from "vitest";
import { checkOutboundUrl, isProduction, outboundUrlPolicy } from "../../../worker/auth/url-safety";

const production = { production: true, sandbox: false };
const productionWithSandbox = { production: true, sandbox: true };
const development = { production: false, sandbox: false };
const developmentWithSandbox = { production: false, sandbox: true };

describe("outbound URL safety in production", () => {
  it.each([
    "https://api.example.com/devices/{serial}",
    "https://api.example.com:8443/v2/devices?serial={serial}&fields=all",
    "https://fleet.example.co.uk/items/{id}",
    "https://xn--bcher-kva.example/path",
  ])("allows %s", (url) => {
    expect(checkOutboundUrl(url, production)).toBeNull();
  });

  it.each([
    { url: "http://api.example.com/devices", problem: /https/ },
    { url: "ftp://files.example.com/x", problem: /scheme must be https \(got ftp\)/ },
    { url: "https://user:pass@api.example.com/x", problem: /user name or password/ },
    { url: "https://token@api.example.com/x", problem: /user name or password/ },
    { url: "https://{tenant}.example.com/devices", problem: /only in the path and query/ },
    { url: "https://api.example.com{path}", problem: /only in the path and query/ },
    { url: "https:{id}.example.com/devices", problem: /only in the path and query/ },
    { url: "https:/{id}", problem: /only in the path and query/ },
    { url: "https:///{id}", problem: /only in the path and query/ },
    { url: "https://api.example.com:{port}/x", problem: /only in the path and query/ },
    { url: "https:\\\\{id}/x", problem: /only in the path and query/ },
    { url: "https://api.example.com\\{id}", problem: /only in the path and query/ },
    { url: "https:\\\\evil.example.com/x", problem: /backslash/ },
    { url: "https://api.example.com/a\\b", problem: /backslash/ },
    { url: "https://8.8.8.8/x", problem: /IP address; use the destination's host name/ },
    { url: "https://10.1.2.3/x", problem: /private address/ },
    { url: "https://172.20.0.1/x", problem: /private address/ },
    { url: "https://192.168.1.1/x", problem: /private address/ },
    { url: "https://100.100.100.200/x", problem: /private address/ },
    { url: "https://127.0.0.1/x", problem: /loopback address/ },
    { url: "https://2130706433/x", problem: /127\.0\.0\.1 is a loopback address/ },
    { url: "https://0x7f.1/x", problem: /loopback address/ },
    { url: "https://169.254.169.254/latest/meta-data", problem: /link-local address/ },
    { url: "https://0.0.0.0/x", problem: /reserved address/ },
    { url: "https://[::1]/x", problem: /loopback address/ },
    { url: "https://[::ffff:127.0.0.1]/x", problem: /loopback address/ },
    { url: "https://[fd00:ec2::254]/x", problem: /private address/ },
    { url: "https://[fe80::1]/x", problem: /link-local address/ },
    { url: "https://[2606:4700::1111]/x", problem: /IP address/ },
    { url: "https://localhost/x", problem: /internal name/ },
    { url: "https://api.localhost/x", problem: /internal name/ },
    { url: "https://printer.local/x", problem: /internal name/ },
    { url: "https://metadata.google.internal/computeMetadata", problem: /internal name/ },
    { url: "https://nas.home.arpa/x", problem: /internal name/ },
    { url: "https://intranet/x", problem: /internal name/ },
    { url: "https://api.example.com./x", problem: null },
    { url: "https://LOCALHOST./x", problem: /internal name/ },
    { url: "not a url", problem: /valid absolute URL/ },
    { url: "/relative/path", problem: /valid absolute URL/ },
    { url: "", problem: /valid absolute URL/ },
  ])("$url → $problem", ({ url, problem }) => {
    const result = checkOutboundUrl(url, production);
    if (problem === null) expect(result).toBeNull();
    else expect(result).toMatch(problem);
  });

  it("allows the sandbox's loopback URLs only when the sandbox is mounted", () => {
    const sandboxUrl = "http://localhost:8787/sandbox/api/devices/{serial}";
    expect(checkOutboundUrl(sandboxUrl, productionWithSandbox)).toBeNull();
    expect(checkOutboundUrl(sandboxUrl, production)).toMatch(/https/);
    expect(checkOutboundUrl("http://localhost:8787/other", productionWithSandbox)).toMatch(/https/);
    expect(checkOutboundUrl("http://user:pw@localhost:8787/sandbox/api", productionWithSandbox)).toMatch(/user name or password/);
  });
});

describe("outbound URL safety in development", () => {
  it.each([
    { url: "http://localhost:9000/devices", problem: null },
    { url: "http://127.0.0.1:9000/devices", problem: null },
    { url: "http://127.8.9.10/devices", problem: null },
    { url: "http://[::1]:9000/devices", problem: null },
    { url: "http://fleet.localhost/devices", problem: null },
    { url: "https://192.168.1.20/devices", problem: null },
    { url: "https://printer.local/devices", problem: null },
    { url: "http://192.168.1.20/devices", problem: /only for loopback hosts in development/ },
    { url: "http://api.example.com/devices", problem: /only for loopback hosts in development/ },
    { url: "https://user:pw@localhost/x", problem: /user name or password/ },
  ])("$url → $problem", ({ url, problem }) => {
    const result = checkOutboundUrl(url, development);
    if (problem === null) expect(result).toBeNull();
    else expect(result).toMatch(problem);
  });

  it("allows the sandbox over plain http", () => {
    expect(checkOutboundUrl("http://localhost:8787/sandbox/api/devices", developmentWithSandbox)).toBeNull();
  });
});

describe("which environment is production", () => {
  it.each([
    { ENVIRONMENT: "development", production: false },
    { ENVIRONMENT: " Development ", production: false },
    { ENVIRONMENT: "production", production: true },
    { ENVIRONMENT: "staging", production: true },
    { ENVIRONMENT: undefined, production: true },
  ])("ENVIRONMENT=$ENVIRONMENT is production: $production", ({ ENVIRONMENT, production: expected }) => {
    expect(isProduction({ ENVIRONMENT })).toBe(expected);
  });

  it("turns env into a policy", () => {
    expect(outboundUrlPolicy({ ENVIRONMENT: "development", SANDBOX: "on" })).toEqual({ production: false, sandbox: true });
    expect(outboundUrlPolicy({ SANDBOX: "off" })).toEqual({ production: true, sandbox: false });
  });
});
