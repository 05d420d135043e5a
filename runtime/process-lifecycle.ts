import type { Logger } from './log.js';

/** Exit codes an operator's service manager sees. */
export const EXIT_OK = 0;
/** An actor could not start (bad data dir, wrong owner, ...): nothing was served. */
export const EXIT_START_FAILED = 1;
/** An actor crashed more often than its restart budget allows (EX_SOFTWARE). */
export const EXIT_ESCALATED = 70;
/** Graceful shutdown did not finish within its bound (EX_TEMPFAIL). */
export const EXIT_SHUTDOWN_TIMEOUT = 75;
/** The configuration is invalid (EX_CONFIG). */
export const EXIT_CONFIG = 78;
/** A second SIGINT/SIGTERM during shutdown: exit at once. */
export const EXIT_SECOND_SIGNAL = 130;

export interface ShutdownOptions {
  readonly log: Logger;
  /**
   * Stops intake, drains, flushes and closes. `planned`: a signal asked for it (an operator's
   * stop or restart), not an escalation.
   */
  readonly shutdown: (reason: string, planned: boolean) => Promise<void>;
  /** Past this, the process exits with EXIT_SHUTDOWN_TIMEOUT whatever is still running. */
  readonly deadlineMs: number;
  readonly exit?: (code: number) => void;
}

/**
 * SIGTERM/SIGINT: the first starts a graceful shutdown bounded by `deadlineMs` and exits 0
 * when it completes; a second exits at once. Returns a function that starts the same
 * shutdown for another reason (escalation), with the exit code given.
 */
export function installShutdownHandlers(
  options: ShutdownOptions,
): (reason: string, exitCode: number) => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;

  const begin = (reason: string, exitCode: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    options.log.info({ reason, deadlineMs: options.deadlineMs }, 'shutting down');
    const deadline = setTimeout(() => {
      options.log.error({ reason, deadlineMs: options.deadlineMs }, 'shutdown deadline passed; exiting');
      exit(EXIT_SHUTDOWN_TIMEOUT);
    }, options.deadlineMs);
    options.shutdown(reason, exitCode === EXIT_OK).then(
      () => {
        clearTimeout(deadline);
        options.log.info({ reason, exitCode }, 'shutdown complete');
        exit(exitCode);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        options.log.error({ reason, err: error }, 'shutdown failed');
        exit(exitCode === EXIT_OK ? EXIT_SHUTDOWN_TIMEOUT : exitCode);
      },
    );
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      options.log.warn({ signal }, 'second signal during shutdown; exiting now');
      exit(EXIT_SECOND_SIGNAL);
      return;
    }
    begin(signal, EXIT_OK);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return begin;
}
