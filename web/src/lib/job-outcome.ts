import type { JobDiagnosis, JobSummary, RunStatus } from "./run-types";
import { completedWarning } from "../../../shared/job-note";

type Diagnosed = Pick<JobSummary, "status" | "diagnoses">;

export function jobNote(job: Diagnosed): JobDiagnosis | null {
  return completedWarning(job);
}

// A run carries a note only when every connection ended with the same one, e.g. a Single run of a serial in no source.
export function runNote(status: RunStatus, jobs: readonly Diagnosed[] | null): JobDiagnosis | null {
  if (status !== "completed" || !jobs || jobs.length === 0) return null;
  const notes = jobs.map(jobNote);
  const first = notes[0];
  if (!first) return null;
  return notes.every((note) => note?.code === first.code) ? first : null;
}
