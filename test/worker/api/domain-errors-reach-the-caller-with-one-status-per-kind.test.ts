import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { handleError, STATUS_OF_KIND } from "../../../worker/api/errors";
import {
  ConflictError,
  DOMAIN_ERROR_KINDS,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  UnauthorizedError,
  UnavailableError,
  type DomainError,
  type DomainErrorKind,
} from "../../../worker/domain-errors";
import { call } from "./config-api";

// Written by hand, apart from the mapping it checks: the status a caller must see for each kind of refusal.
const INTENDED_STATUS: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

const ONE_OF_EACH: DomainError[] = [
  new InvalidError("validation_failed", "Invalid request body: name: required", { details: [{ path: "name", message: "required", in: "body" }] }),
  new UnauthorizedError("unauthorized", "Send a token."),
  new ForbiddenError("forbidden", "This needs the admin role.", { meta: { required_role: "admin" } }),
  new NotFoundError("not_found", "No run with id run_x.", { details: [{ path: "id", message: "no run with this id", in: "path" }] }),
  new ConflictError("run_finished", "Run run_x already finished as succeeded.", { meta: { status: "succeeded" } }),
  new UnavailableError("secrets_key_missing", "SECRETS_KEY is not set.", { hint: "Set the Worker secret SECRETS_KEY." }),
];

function appThrowing(err: Error) {
  const app = new Hono();
  app.onError(handleError);
  app.get("/thing", () => {
    throw err;
  });
  return app;
}

describe("domain errors at the HTTP edge", () => {
  it("maps every kind to its intended status", () => {
    expect(Object.keys(STATUS_OF_KIND).sort()).toEqual([...DOMAIN_ERROR_KINDS].sort());
    expect(STATUS_OF_KIND).toEqual(INTENDED_STATUS);
  });

  it("has one error class for every kind", () => {
    expect(ONE_OF_EACH.map((err) => err.kind).sort()).toEqual([...DOMAIN_ERROR_KINDS].sort());
  });

  it.each(ONE_OF_EACH.map((err) => [err.kind, err] as const))(
    "answers a domain error of kind %s thrown in a route with its status and the one body",
    async (kind, err) => {
      const res = await appThrowing(err).request("/thing");
      expect(res.status).toBe(INTENDED_STATUS[kind]);
      expect(await res.json()).toEqual({
        error: {
          code: err.code,
          message: err.message,
          details: err.details,
          ...(err.hint === undefined ? {} : { hint: err.hint }),
          ...(err.meta === undefined ? {} : { meta: err.meta }),
        },
      });
    },
  );

  it("answers the run service's not-found through the real app as 404 naming the id", async () => {
    const res = await call("POST", "/api/runs/run_missing/cancel", { as: "operator" });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: { code: "not_found", message: "No run with id run_missing.", details: [{ path: "id", message: "no run with this id", in: "path" }] },
    });
  });
});
