import { expect, type APIRequestContext } from "@playwright/test";
import type { CreateRunRequest } from "../../web/src/lib/api";
import type { JobSummary, RunDetail } from "../../web/src/lib/run-types";
import { DEMO_CONNECTIONS, DEMO_CREDENTIAL } from "../../worker/sandbox/demo-connections";

// Setup through the HTTP API, as a script or an operator's terminal would do it.

export const DEMO_CREDENTIAL_ID = DEMO_CREDENTIAL.id;

async function json<T>(response: Awaited<ReturnType<APIRequestContext["get"]>>): Promise<T> {
  expect(response.ok(), `${response.url()} answered ${response.status()}: ${await response.text()}`).toBe(true);
  return (await response.json()) as T;
}

export async function startRun(api: APIRequestContext, request: CreateRunRequest): Promise<RunDetail> {
  return json<RunDetail>(await api.post("/api/runs", { data: request }));
}

export async function readRun(api: APIRequestContext, id: string): Promise<RunDetail> {
  return json<RunDetail>(await api.get(`/api/runs/${id}`));
}

export async function waitForRun(api: APIRequestContext, id: string, timeoutMs = 120_000): Promise<RunDetail> {
  let run = await readRun(api, id);
  await expect
    .poll(
      async () => {
        run = await readRun(api, id);
        return run.status;
      },
      { timeout: timeoutMs, intervals: [500] },
    )
    .toMatch(/^(completed|failed|canceled)$/);
  return run;
}

// The demo as `npm start` leaves it: fleet data restored, sandbox knobs at rest, no incremental cursors.
export async function resetDemo(api: APIRequestContext): Promise<void> {
  await json(await api.post("/sandbox/_reset"));
  for (const connection of DEMO_CONNECTIONS) {
    await json(await api.post(`/api/connections/${connection.id}/reset`));
  }
}

export async function setSandboxLatency(api: APIRequestContext, latencyMs: number): Promise<void> {
  await json(await api.put("/sandbox/_config", { data: { latency_ms: latencyMs } }));
}

// A credential with one connection whose update method the sandbox refuses (405): the seed's
// "Wrong update method for endpoint" failure.
export async function createWrongMethodConnection(api: APIRequestContext): Promise<{ credentialId: string; connectionId: string }> {
  const name = `Wrong method ${Date.now()}`;
  const credential = await json<{ id: string }>(await api.post("/api/credentials", { data: { name, scheme: "none" } }));
  // The JSON connection's lookup and update, with the HTTP source (a dataset source would start empty).
  const [perSerial, , httpSource] = DEMO_CONNECTIONS;
  if (!perSerial || !httpSource) throw new Error("the demo connections changed shape");
  const connection = await json<{ id: string }>(
    await api.post("/api/connections", {
      data: {
        credential_id: credential.id,
        name: "Device status (wrong method)",
        dry_run: false,
        config: { ...perSerial.config, source: httpSource.config.source, update: { ...perSerial.config.update, method: "POST" } },
      },
    }),
  );
  return { credentialId: credential.id, connectionId: connection.id };
}

export function firstJob(run: RunDetail): JobSummary {
  const job = run.jobs[0];
  if (!job) throw new Error(`run ${run.id} has no jobs`);
  return job;
}
