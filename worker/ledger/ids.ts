const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * A time-sortable id: 10 characters of millisecond time then 16 random ones,
 * so `ORDER BY id DESC` is newest first and ids double as paging cursors.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  const random = crypto.getRandomValues(new Uint8Array(16));
  let tail = "";
  for (const byte of random) tail += CROCKFORD[byte % 32];
  return `${idTimeFloor(prefix, now)}${tail}`;
}

// Every id made at or after `time` sorts >= this string and every earlier one sorts below it,
// so a time range becomes an id range that any (…, id) index can serve.
export function idTimeFloor(prefix: string, time: number): string {
  let encoded = "";
  let t = Math.max(0, Math.floor(time));
  for (let i = 0; i < 10; i++) {
    encoded = CROCKFORD[t % 32] + encoded;
    t = Math.floor(t / 32);
  }
  return `${prefix}_${encoded}`;
}
