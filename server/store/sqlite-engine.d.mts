import type SQLite from 'better-sqlite3'

export const PREPARED_MAX: number
export const PREPARED_MAX_CHARS: number
export type SqlProfile = { wrapExec(sqlite: SQLite.Database): void; wrap(text: string, stmt: SQLite.Statement): SQLite.Statement }
export function sqlProfile(everyS: number, label?: string): SqlProfile
export function preparedOnce(sqlite: SQLite.Database, profile?: SqlProfile | null): (text: string) => SQLite.Statement

/** An answer to the main thread. */
export type Answer =
  | { id: number; ok: true; commits: number; rows?: unknown[]; changes?: number; insertId?: number | bigint; failed?: number; results?: { rows?: unknown[]; changes?: number; insertId?: number | bigint }[] }
  | { id: number; ok: false; commits: number; error: { name: string; message: string; code?: string } }

export type Request = {
  id?: number
  op: 'run' | 'read' | 'atomic' | 'begin' | 'commit' | 'rollback' | 'sync' | 'flush' | 'close'
  sql?: string
  params?: unknown[]
  begin?: boolean
  statements?: { sql: string; params: unknown[]; rows?: number }[]
}

export class TurnEngine {
  constructor(sqlite: SQLite.Database, prepare: (text: string) => SQLite.Statement, reply: (answer: Answer) => void, prepareRead?: ((text: string) => SQLite.Statement) | null)
  commits: number
  handle(m: Request): void
}
