/**
 * Structured JSON logs (pino). Every state change is one line whose `msg` reads like
 * `task 42 state:leased=>valid device:d7`, with the same facts as fields.
 * Secrets are redacted by key name so they never reach the logs.
 */
import pino from 'pino'
import { countTransition } from './metrics'

export type Logger = pino.Logger

export function createLogger(level: string, name = 'nimble'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    redact: { paths: ['key', 'authorization', '*.authorization', 'headers.authorization', 'adminKey', 'privateKey', 'OPERATOR_PRIVATE_KEY', '*.OPERATOR_PRIVATE_KEY'], censor: '[redacted]' },
  })
}

export function transition(
  log: Logger,
  entity: string,
  id: string | number,
  from: string,
  to: string,
  extra: Record<string, string | number | null | undefined> = {},
): void {
  countTransition(entity, from, to)
  // Counted always; the line is built only when it will be written (a few per task under load).
  if (!log.isLevelEnabled('info')) return
  const tail = Object.entries(extra)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}:${v}`)
    .join('')
  log.info({ entity, id, from, to, ...extra }, `${entity} ${id} state:${from}=>${to}${tail}`)
}
