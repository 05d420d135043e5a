/**
 * Splits a master file into logical lines of tokens (RFC 1035 §5.1):
 *
 *   - `;` starts a comment to the end of the line (outside quotes);
 *   - `(` and `)` group physical lines into one logical line (one level deep);
 *   - a token is a run of characters up to a blank, `(`, `)`, `;` or `"`, or a `"quoted
 *     string"`; a backslash escapes the next character in both (`\ `, `\;`, `\"`), and the
 *     token keeps its escapes (`\.`, `\DDD`) for the name and string readers;
 *   - a line that starts with a blank has no owner: the record's owner is the previous one.
 *
 * Each token carries its line and column, for errors.
 */
import { MasterFileFailure } from './errors.js';

export interface Token {
  /** Characters with escapes kept, quotes removed. */
  readonly text: string;
  readonly quoted: boolean;
  readonly line: number;
  readonly column: number;
}

export interface LogicalLine {
  /** The line began with a blank: the owner is omitted. */
  readonly ownerOmitted: boolean;
  readonly tokens: readonly Token[];
  readonly line: number;
}

/** Characters one logical line may span (a parenthesis left open would otherwise take the file). */
export const LOGICAL_LINE_CHARS_MAX = 1 << 20;

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const SEMICOLON = 0x3b;
const OPEN = 0x28;
const CLOSE = 0x29;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CR;
}

/** The logical lines of `text`, blank ones skipped. Throws `MasterFileFailure` ('syntax', 'limit'). */
export function* logicalLines(text: string): Generator<LogicalLine> {
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const length = text.length;
  while (i < length) {
    const startLine = line;
    const startAt = i;
    const ownerOmitted = isBlank(text.charCodeAt(i));
    const tokens: Token[] = [];
    let depth = 0;
    let openLine = 0;
    let openColumn = 0;
    for (;;) {
      if (i - startAt > LOGICAL_LINE_CHARS_MAX)
        throw new MasterFileFailure(
          'limit',
          startLine,
          1,
          `a logical line over ${LOGICAL_LINE_CHARS_MAX} characters`,
        );
      if (i >= length) {
        if (depth > 0) throw new MasterFileFailure('syntax', openLine, openColumn, "'(' is never closed");
        break;
      }
      const c = text.charCodeAt(i);
      if (c === LF) {
        i++;
        line++;
        lineStart = i;
        if (depth === 0) break;
        continue;
      }
      if (isBlank(c)) {
        i++;
        continue;
      }
      if (c === SEMICOLON) {
        while (i < length && text.charCodeAt(i) !== LF) i++;
        continue;
      }
      if (c === OPEN) {
        if (depth > 0) throw new MasterFileFailure('syntax', line, i - lineStart + 1, "nested '('");
        depth = 1;
        openLine = line;
        openColumn = i - lineStart + 1;
        i++;
        continue;
      }
      if (c === CLOSE) {
        if (depth === 0) throw new MasterFileFailure('syntax', line, i - lineStart + 1, "')' without '('");
        depth = 0;
        i++;
        continue;
      }
      const column = i - lineStart + 1;
      if (c === QUOTE) {
        let j = i + 1;
        for (;;) {
          if (j >= length || text.charCodeAt(j) === LF)
            throw new MasterFileFailure('syntax', line, column, 'unterminated quoted string');
          const d = text.charCodeAt(j);
          if (d === QUOTE) break;
          // A quoted string stays on its line: an escaped line break would hide where it ends.
          if (d === BACKSLASH && (j + 1 >= length || text.charCodeAt(j + 1) === LF))
            throw new MasterFileFailure('syntax', line, column, 'unterminated quoted string');
          j += d === BACKSLASH ? 2 : 1;
        }
        tokens.push({ text: text.slice(i + 1, j), quoted: true, line, column });
        i = j + 1;
        continue;
      }
      let j = i;
      for (;;) {
        if (j >= length) break;
        const d = text.charCodeAt(j);
        if (d === BACKSLASH) {
          if (j + 1 >= length || text.charCodeAt(j + 1) === LF)
            throw new MasterFileFailure('syntax', line, j - lineStart + 1, 'a backslash ends the line');
          j += 2;
          continue;
        }
        if (isBlank(d) || d === LF || d === SEMICOLON || d === OPEN || d === CLOSE || d === QUOTE) break;
        j++;
      }
      tokens.push({ text: text.slice(i, j), quoted: false, line, column });
      i = j;
    }
    if (tokens.length > 0) yield { ownerOmitted, tokens, line: startLine };
  }
}
