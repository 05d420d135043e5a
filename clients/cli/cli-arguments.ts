/**
 * Argument helpers every `raftns` subcommand shares: option parsers commander calls (they
 * throw `InvalidArgumentError`, which commander reports as a usage error), a usage failure
 * that sets the exit code without throwing, and name completion.
 */

import { isReadModeText, READ_MODE_EXPECTED, type ReadModeText } from '../../protocol/read-mode.js';
import { InvalidArgumentError } from './commander.js';
import { EXIT_USAGE } from './exit-codes.js';

/** A parser of counts and limits (`--timeout`, `--limit`, a revision). */
export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

/** `--mode`'s parser: one of the read modes' texts. */
export function readModeArgument(value: string): ReadModeText {
  if (!isReadModeText(value)) throw new InvalidArgumentError(READ_MODE_EXPECTED);
  return value;
}

/** Reports a usage problem found after parsing; the command returns and raftns exits with EXIT_USAGE. */
export function usage(message: string): void {
  process.stderr.write(`raftns: usage: ${message}\n`);
  process.exitCode = EXIT_USAGE;
}
