/**
 * How a read is served (thesis §6.4; DESIGN.md §4 "Reads"), and its text form: the one
 * spelling used on the command line, in the config file, in a DNS listener's `@mode` and in
 * the client wire format's `mode` field.
 *
 * - `linearizable`: the read waits for a read index confirmed by a quorum (ReadIndex).
 * - `lease`: the leader answers within its lease; a follower obtains a read index from it.
 * - `bounded:<ms>`: any replica answers while it heard from the leader within `<ms>`.
 */
import { BOUNDED_STALENESS_MS_MAX } from './limits.js';

export type ReadMode =
  | { readonly kind: 'linearizable' }
  | { readonly kind: 'lease' }
  | { readonly kind: 'bounded'; readonly maxStaleMs: number };

/** A read mode as text: `linearizable`, `lease` or `bounded:<ms>`. */
export type ReadModeText = 'linearizable' | 'lease' | `bounded:${number}`;

/** What a valid read mode text looks like, for error messages. */
export const READ_MODE_EXPECTED = `expected "linearizable", "lease" or "bounded:<ms>" with 1 <= ms <= ${BOUNDED_STALENESS_MS_MAX}`;

/** Why a text is not a read mode. */
export type ReadModeErrorReason = 'syntax' | 'staleness-above-max';

export class ReadModeError extends Error {
  constructor(
    readonly text: string,
    readonly reason: ReadModeErrorReason,
  ) {
    super(`read mode ${JSON.stringify(text)}: ${READ_MODE_EXPECTED}`);
    this.name = 'ReadModeError';
  }
}

// Ten digits at most: enough for any value up to the maximum, and short enough that the
// number is exact before the range check.
const READ_MODE_RE = /^(?:linearizable|lease|bounded:([1-9][0-9]{0,9}))$/;

/** Parses the text form of a read mode. */
export function parseReadMode(text: string): ReadMode | ReadModeError {
  const match = READ_MODE_RE.exec(text);
  if (match === null) return new ReadModeError(text, 'syntax');
  if (text === 'linearizable' || text === 'lease') return { kind: text };
  const maxStaleMs = Number(match[1]);
  if (maxStaleMs > BOUNDED_STALENESS_MS_MAX) return new ReadModeError(text, 'staleness-above-max');
  return { kind: 'bounded', maxStaleMs };
}

/** Whether `value` is the text of a valid read mode (a schema's guard). */
export function isReadModeText(value: unknown): value is ReadModeText {
  return typeof value === 'string' && !(parseReadMode(value) instanceof ReadModeError);
}

/** The text form of a read mode; `parseReadMode` reads it back unchanged. */
export function formatReadMode(mode: ReadMode): ReadModeText {
  return mode.kind === 'bounded' ? `bounded:${mode.maxStaleMs}` : mode.kind;
}
