// The node's structured logs: pino, JSON lines by default (for journald, Loki, jq), readable
// lines in a terminal. Each module takes `logger.child({ module: 'sync' })` and puts its context
// in fields, never in the message text.
//
// pino-pretty runs as a plain stream in this process, not as a worker-thread transport: a worker
// outlives neither a test's short life nor a SIGKILLed child's last lines, and it cannot be
// pointed at an in-memory stream.

import { pino, type DestinationStream, type Level, type Logger } from 'pino'
import pinoPretty from 'pino-pretty'

export type { Logger } from 'pino'

export type LogFormat = 'json' | 'pretty'

export const DEFAULT_LOG_LEVEL: Level = 'info'
export const DEFAULT_LOG_FORMAT: LogFormat = 'json'
export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export interface LoggerInit {
  /** pino level, or 'silent'. Default 'info'. */
  level?: Level | 'silent'
  /** 'json' (default) or 'pretty' for a terminal. */
  format?: LogFormat
  /** Where lines go: a stream (tests capture logs this way), a file path, or stdout by default. */
  destination?: DestinationStream | NodeJS.WritableStream | string
  /** Fields on every line, e.g. `{ node: 'v0' }` for several nodes in one terminal. */
  base?: Record<string, unknown>
}

export function createLogger(init: LoggerInit = {}): Logger {
  const level = init.level ?? DEFAULT_LOG_LEVEL
  if (!LOG_LEVELS.includes(level)) throw new TypeError(`log level: unknown level '${String(level)}'`)
  const format = init.format ?? DEFAULT_LOG_FORMAT
  const options = {
    level,
    // pid and hostname say nothing on one machine; the caller adds what tells nodes apart.
    base: init.base ?? null,
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  if (format === 'pretty') {
    const destination = typeof init.destination === 'string' ? pino.destination({ dest: init.destination, sync: true }) : init.destination
    const stream = pinoPretty({
      colorize: destination === undefined && process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      // sync, so nothing is lost in a buffer when a child process exits or is killed.
      sync: true,
      destination: destination ?? 1,
    })
    return pino(options, stream)
  }
  if (format !== 'json') throw new TypeError(`log format: expected 'json' or 'pretty', got '${String(format)}'`)
  if (init.destination === undefined) return pino(options, pino.destination({ dest: 1, sync: true }))
  if (typeof init.destination === 'string') return pino(options, pino.destination({ dest: init.destination, sync: true, mkdir: true }))
  return pino(options, init.destination as DestinationStream)
}

/** A logger that drops everything: the default where a component was given none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
