import type { Env } from "./env";
import type { Principal } from "./auth/principal";

/** Hono's environment for every router: bindings plus what middleware sets. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    principal: Principal;
  };
}
