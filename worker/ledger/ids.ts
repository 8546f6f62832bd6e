const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * A time-sortable id: 10 characters of millisecond time then 16 random ones,
 * so `ORDER BY id DESC` is newest first and ids double as paging cursors.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = crypto.getRandomValues(new Uint8Array(16));
  let tail = "";
  for (const byte of random) tail += CROCKFORD[byte % 32];
  return `${prefix}_${time}${tail}`;
}
