import type { LogFields, Logger } from '../log.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export const LOG_LEVELS: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  fatal: 50,
};

/** Where the simulator's loggers send records that pass the level threshold. */
export type LogSink = (level: LogLevel, bindings: LogFields, fields: LogFields, message: string) => void;

/**
 * The logger actors get in the simulator: records at or above `minLevel` go to the sink
 * (the trace); the rest cost one comparison. Bindings are merged only when recorded.
 */
export class SimLogger implements Logger {
  private readonly min: number;

  constructor(
    private readonly sink: LogSink,
    private readonly minLevel: LogLevel,
    private readonly bindings: LogFields = {},
  ) {
    this.min = LOG_LEVELS[minLevel];
  }

  debug(fields: LogFields, message: string): void {
    this.emit('debug', fields, message);
  }

  info(fields: LogFields, message: string): void {
    this.emit('info', fields, message);
  }

  warn(fields: LogFields, message: string): void {
    this.emit('warn', fields, message);
  }

  error(fields: LogFields, message: string): void {
    this.emit('error', fields, message);
  }

  fatal(fields: LogFields, message: string): void {
    this.emit('fatal', fields, message);
  }

  child(fields: LogFields): Logger {
    return new SimLogger(this.sink, this.minLevel, { ...this.bindings, ...fields });
  }

  private emit(level: LogLevel, fields: LogFields, message: string): void {
    if (LOG_LEVELS[level] < this.min) return;
    this.sink(level, this.bindings, fields, message);
  }
}
