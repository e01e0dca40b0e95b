// The logging surface the network needs: a subset of pino's Logger, so a pino instance fits
// as is and tests can pass nothing. Context goes in the first argument as fields.

export interface LogFn {
  (fields: Record<string, unknown>, message?: string): void
  (message: string): void
}

export interface Logger {
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  child(bindings: Record<string, unknown>): Logger
}

const noop = (): void => {}

export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
}
