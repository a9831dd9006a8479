/**
 * Lists cut into statement-sized chunks, of up to 256 rows (on PostgreSQL each statement is a
 * round trip). A statement over many rows (`WHERE id IN (…)`, a multi-row insert) has a SQL
 * text that depends on how many; a few fixed sizes keep those texts few, so prepared
 * statements (SQLite's, PostgreSQL's) are reused rather than made per size.
 */

/** Chunk sizes, largest first. */
export const CHUNKS = [256, 64, 16, 4, 1]

/**
 * `query` run on each chunk of `xs`, all sent at once, and their rows in chunk order. One
 * round trip for the lot rather than one after another (on SQLite each is a message to its
 * worker thread and back; a write outside a transaction waits for its turn's commit).
 */
export async function inChunksAtOnce<T, R>(xs: readonly T[], query: (part: T[]) => Promise<R[]>): Promise<R[]> {
  const parts = inChunks(xs)
  if (parts.length === 1) return query(parts[0])
  return (await Promise.all(parts.map(query))).flat()
}

/** `xs` cut greedily into CHUNKS sizes. */
export function inChunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; ) {
    const n = CHUNKS.find((m) => m <= xs.length - i)!
    out.push(xs.slice(i, (i += n)))
  }
  return out
}
