import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { createRouter } from "./router";
import { errorResponses, jsonContent } from "../schemas/common";
import { sessionSchema, type Session } from "../schemas/tokens";

// Who the caller is, for any role: the dashboard's sign-in reads its role and name here.
export const sessionRouter = createRouter();

const sessionRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getSession",
  path: "/",
  tags: ["API tokens"],
  summary: "The caller's identity and role",
  description: "Answers for any valid token or Access identity; 401 otherwise.",
  responses: {
    200: jsonContent(sessionSchema, "Who is calling."),
    ...errorResponses(),
  },
});

sessionRouter.openapi(sessionRoute, (c) => {
  const { kind, id, name, role } = c.var.principal;
  return c.json({ kind, id, name, role } satisfies Session, 200);
});
