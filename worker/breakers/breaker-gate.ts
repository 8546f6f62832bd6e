import type { Env } from "../env";
import type { HostTallies } from "./host-tallies";
import { log } from "../observability/log";

// The coordinator's side of the destination breakers: which hosts a job writes to, what one slice's requests
// to each did, and the two calls per slice to each host's DestinationBreaker (may this slice send; what it
// saw). A breaker that cannot be reached never holds a run back: the run goes on as if it were closed.

export type GateVerdict = { kind: "go"; probe: boolean } | { kind: "wait"; host: string; until: number };

export function breakerStub(env: Pick<Env, "DESTINATION_BREAKER">, host: string) {
  return env.DESTINATION_BREAKER.get(env.DESTINATION_BREAKER.idFromName(host));
}

// One call per host; the first host that holds the run back decides. A probe of any host makes the slice a probe.
export async function admitSlice(env: Pick<Env, "DESTINATION_BREAKER">, hosts: readonly string[], runId: string): Promise<GateVerdict> {
  let probe = false;
  for (const host of hosts) {
    try {
      const admission = await breakerStub(env, host).admit(host, runId);
      if (admission.kind === "wait") return { kind: "wait", host, until: admission.until };
      probe ||= admission.probe;
    } catch (error) {
      log.error("destination breaker unreachable; the run goes on", { host, run_id: runId, error });
    }
  }
  return { kind: "go", probe };
}

export async function reportSlice(env: Pick<Env, "DESTINATION_BREAKER">, tallies: HostTallies, runId: string): Promise<void> {
  await Promise.all(
    tallies.entries().map(async ([host, tally]) => {
      try {
        await breakerStub(env, host).report(host, runId, tally);
      } catch (error) {
        log.error("destination breaker unreachable; this slice's requests are not counted", { host, run_id: runId, error });
      }
    }),
  );
}
