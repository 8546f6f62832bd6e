// A completed job that wrote nothing for a reason worth a look, or met a known failure pattern, says so next to its
// status (which then reads as a warning); one that found the destination already up to date (an info) stays a plain
// success. The dashboard and the CLI both word a job's status from this.
export function completedWarning<D extends { severity: string }>(job: { status: string; diagnoses: readonly D[] }): D | null {
  return job.status === "completed" ? (job.diagnoses.find((diagnosis) => diagnosis.severity === "warning") ?? null) : null;
}
