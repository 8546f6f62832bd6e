export async function countRuns(db: D1Database): Promise<number> {
  const row = await db.prepare("SELECT COUNT(*) AS n FROM runs").first<{ n: number }>();
  return row?.n ?? 0;
}
export type RunCount = number;
