import type { JobDiagnosis, JobSummary, RunStatus } from "./run-types";

type Diagnosed = Pick<JobSummary, "status" | "diagnoses">;

// A completed job that wrote nothing for a reason worth a look, or met a known failure pattern, says so next to its
// status (which then reads as a warning); one that found the destination already up to date stays a plain success.
export function jobNote(job: Diagnosed): JobDiagnosis | null {
  return job.status === "completed" ? (job.diagnoses.find((diagnosis) => diagnosis.severity === "warning") ?? null) : null;
}

// A run carries a note only when every connection ended with the same one, e.g. a Single run of a serial in no source.
export function runNote(status: RunStatus, jobs: readonly Diagnosed[] | null): JobDiagnosis | null {
  if (status !== "completed" || !jobs || jobs.length === 0) return null;
  const notes = jobs.map(jobNote);
  const first = notes[0];
  if (!first) return null;
  return notes.every((note) => note?.code === first.code) ? first : null;
}
