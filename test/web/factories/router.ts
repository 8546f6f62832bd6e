import { afterEach, beforeEach, vi } from "vitest";
import { router } from "../../../web/src/lib/router.svelte";

/** A page test with the dashboard's router: started before each test, stopped after it, fetch unstubbed, back at /. */
export function withRouterPerTest(): void {
  let stop = () => {};
  beforeEach(() => {
    stop = router.start();
  });
  afterEach(() => {
    stop();
    vi.unstubAllGlobals();
    router.navigate("/", { replace: true });
  });
}
