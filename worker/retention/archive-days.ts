import { dayPrefix } from "../archive/archive-keys";

// The R2 archive as retention and the log export see it: every object of a job lives under
// jobs/<YYYY-MM-DD>/<job_id>/ (worker/archive/archive-keys.ts), the day being the UTC day of the job's
// created_at. Only that prefix layout is used here, never the objects' format: one day is one prefix.

const ARCHIVE_ROOT = "jobs/";
/** R2 lists and deletes at most this many keys per call. */
export const R2_KEYS_PER_CALL = 1000;

const DAY_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/** The key below its day prefix, "<job_id>/<object>"; null for a key outside that day. */
export function keyWithinDay(day: string, key: string): string | null {
  const prefix = dayPrefix(day);
  return key.startsWith(prefix) ? key.slice(prefix.length) : null;
}

/** The job an archive key belongs to (the segment after its day). */
export function archiveJobId(day: string, key: string): string | null {
  const within = keyWithinDay(day, key);
  const slash = within === null ? -1 : within.indexOf("/");
  return within === null || slash <= 0 ? null : within.slice(0, slash);
}

/**
 * The oldest day with archive objects after `after` and before `before` (YYYY-MM-DD, both exclusive), or
 * null. One delimited listing of jobs/ names each day once, however many objects it holds.
 */
export async function nextArchiveDay(bucket: R2Bucket, after: string | null, before: string): Promise<string | null> {
  // "~" sorts after "/", so listing starts past every key of `after`'s day and before the next day's.
  let options: R2ListOptions = { prefix: ARCHIVE_ROOT, delimiter: "/", limit: R2_KEYS_PER_CALL, ...(after ? { startAfter: `${ARCHIVE_ROOT}${after}~` } : {}) };
  for (;;) {
    const page = await bucket.list(options);
    for (const prefix of page.delimitedPrefixes) {
      const day = prefix.slice(ARCHIVE_ROOT.length, -1);
      // Anything not shaped like a day is not the archive's: it is never listed for deletion.
      if (!DAY_SHAPE.test(day) || (after !== null && day <= after)) continue;
      return day < before ? day : null;
    }
    if (!page.truncated) return null;
    options = { ...options, cursor: page.cursor };
  }
}

export interface ArchiveObjectRef {
  key: string;
  size: number;
}

export interface ArchivePage {
  objects: ArchiveObjectRef[];
  /** The last key listed: the next page starts after it (stored as the resumable cursor). */
  last: string | null;
  done: boolean;
}

/** At most `limit` (≤ 1000) keys of one day after `after`, in key order. */
export async function listArchiveDay(bucket: R2Bucket, day: string, after: string | null, limit: number): Promise<ArchivePage> {
  const page = await bucket.list({
    prefix: dayPrefix(day),
    limit: Math.max(1, Math.min(limit, R2_KEYS_PER_CALL)),
    ...(after ? { startAfter: after } : {}),
  });
  const objects = page.objects.map((o) => ({ key: o.key, size: o.size }));
  return { objects, last: objects.at(-1)?.key ?? after, done: !page.truncated };
}

/** Deletes the keys, at most 1000 per call. */
export async function deleteArchiveKeys(bucket: R2Bucket, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += R2_KEYS_PER_CALL) await bucket.delete(keys.slice(i, i + R2_KEYS_PER_CALL));
}
