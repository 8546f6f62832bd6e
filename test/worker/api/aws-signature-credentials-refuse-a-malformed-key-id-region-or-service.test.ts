import { describe, expect, it } from "vitest";
import type { Credential } from "../../../worker/schemas/types";
import { call, errorOf, unique } from "./config-api";

const CONFIG = { access_key_id: "AKIAIOSFODNN7EXAMPLE", region: "eu-west-1", service: "execute-api" };

describe("an aws_sigv4 credential", () => {
  it("keeps the access key id, region and service, and the secret access key only encrypted", async () => {
    const created = await call<Credential>("POST", "/api/credentials", {
      body: { name: unique("API Gateway"), scheme: "aws_sigv4", config: CONFIG, secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ scheme: "aws_sigv4", config: CONFIG, has_secret: true, secret_hint: "••••EKEY" });
    expect(JSON.stringify(created.body)).not.toContain("wJalrXUtnFEMI");
  });

  it("names each malformed setting, and a secret over two lines", async () => {
    const res = await call("POST", "/api/credentials", {
      body: {
        name: unique("API Gateway"),
        scheme: "aws_sigv4",
        config: { access_key_id: "akia-lower", region: "Ireland", service: "Execute API" },
        secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\nX-Injected: 1",
      },
    });
    expect(res.status).toBe(400);
    expect(
      errorOf(res)
        .details.map((detail) => detail.path)
        .sort(),
    ).toEqual(["config.access_key_id", "config.region", "config.service", "secret"]);
    const missing = await call("POST", "/api/credentials", { body: { name: unique("API Gateway"), scheme: "aws_sigv4", config: CONFIG } });
    expect(errorOf(missing).details.map((detail) => detail.path)).toEqual(["secret"]);
  });

  it("takes a role to assume, names a malformed role ARN, external id or STS endpoint, and needs the secret to move STS", async () => {
    const role = { role_arn: "arn:aws:iam::210987654321:role/outbound-sync", external_id: "fleet-7f3a", session_name: "outbound-sync" };
    const created = await call<Credential>("POST", "/api/credentials", {
      body: { name: unique("Cross-account API"), scheme: "aws_sigv4", config: { ...CONFIG, ...role }, secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    });
    expect(created.status).toBe(201);
    expect(created.body.config).toEqual({ ...CONFIG, ...role });

    const malformed = await call("PATCH", `/api/credentials/${created.body.id}`, {
      body: { config: { role_arn: "arn:aws:iam::12:user/me", external_id: "x", session_name: "has space", sts_url: "ftp://sts.example.com/" } },
    });
    expect(
      errorOf(malformed)
        .details.map((detail) => detail.path)
        .sort(),
    ).toEqual(["config.external_id", "config.role_arn", "config.session_name"]);
    const unsafe = await call("PATCH", `/api/credentials/${created.body.id}`, { body: { config: { sts_url: "ftp://sts.example.com/" } } });
    expect(errorOf(unsafe).details.map((detail) => detail.path)).toEqual(["config.sts_url"]);

    // A signed AssumeRole replayed to AWS within 15 minutes gives the role's keys: another host needs the secret again.
    const moved = await call("PATCH", `/api/credentials/${created.body.id}`, { body: { config: { sts_url: "https://sts.elsewhere.example/" } } });
    expect(errorOf(moved).details).toEqual([
      expect.objectContaining({
        path: "secret",
        message: expect.stringMatching(/STS endpoint moves to another host \(AWS → https:\/\/sts\.elsewhere\.example\)/),
      }),
    ]);
    const confirmed = await call("PATCH", `/api/credentials/${created.body.id}`, {
      body: { config: { sts_url: "https://sts.elsewhere.example/" }, secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    });
    expect(confirmed.status).toBe(200);

    // Cleared as the other optional settings are, with "": back to AWS's own STS, so the secret again.
    const cleared = await call<Credential>("PATCH", `/api/credentials/${created.body.id}`, {
      body: { config: { role_arn: "", external_id: "", session_name: "", sts_url: "" }, secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.config).toEqual({ ...CONFIG, role_arn: "", external_id: "", session_name: "", sts_url: "" });
  });
});
