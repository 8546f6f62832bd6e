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
});
