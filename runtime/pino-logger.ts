/**
 * The production `Logger`: pino, one JSON object per line,
 * `{"level":"info","time":"<ISO 8601>","pid":..,"hostname":..,<fields>,"msg":".."}`.
 *
 * The default destination writes synchronously to file descriptor 1 itself. Inside a worker
 * thread `process.stdout` is a proxy that posts each chunk to the main thread, which loses
 * the tail of the output when the process dies; a direct, synchronous write to fd 1 does
 * not, and a crash log line is written before the thread goes away.
 */

import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogFields, Logger } from './log.js';

export const PINO_LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type PinoLogLevel = (typeof PINO_LOG_LEVELS)[number];

export interface CreateLoggerOptions {
  /** The least severe level written: trace, debug, info, warn, error, fatal, or silent. */
  readonly level: string;
  /**
   * Fields on every line of this logger and its children, such as `replica`, `group`,
   * `region`, `cluster`, `actor`. Fields whose value is undefined are left out.
   */
  readonly fields?: LogFields;
  /** Where lines go. Default: synchronous writes to fd 1, shared by every logger in the thread. */
  readonly destination?: DestinationStream;
}

let stdoutDestination: DestinationStream | undefined;

/** One synchronous fd-1 writer per thread, created on first use. */
function defaultDestination(): DestinationStream {
  stdoutDestination ??= pino.destination({ fd: 1, sync: true });
  return stdoutDestination;
}

function isPinoLogLevel(level: string): level is PinoLogLevel {
  return (PINO_LOG_LEVELS as readonly string[]).includes(level);
}

/** Creates a structured JSON logger. Throws a RangeError for an unknown level. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const { level } = options;
  if (!isPinoLogLevel(level)) {
    throw new RangeError(
      `unknown log level ${JSON.stringify(level)}; expected one of ${PINO_LOG_LEVELS.join(', ')}`,
    );
  }
  const base: Record<string, unknown> = { pid: process.pid, hostname: hostname() };
  for (const [key, value] of Object.entries(options.fields ?? {})) {
    if (value !== undefined) base[key] = value;
  }
  const logger = pino(
    {
      level,
      base,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names rather than pino's numbers: the lines are read by people and by grep.
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? defaultDestination(),
  );
  return wrap(logger);
}

function wrap(logger: PinoLogger): Logger {
  return {
    debug: (fields, message) => logger.debug(fields, message),
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
    fatal: (fields, message) => logger.fatal(fields, message),
    child: (fields) => wrap(logger.child(fields)),
  };
}
