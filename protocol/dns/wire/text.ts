/**
 * The pieces of presentation format (RFC 1035 §5.1) that RDATA text is made of: tokens,
 * character-strings with their escapes, decimal fields, and RFC 3597 hex.
 *
 * A token is a run of non-blank characters or a `"quoted string"`; a backslash escapes
 * the next character in both (so `\"` and `\ ` do not end a token). Tokens keep their
 * escapes: a name token goes to `Name.parse`, a string token to `decodeCharacterString`.
 * Line grouping with parentheses and `;` comments belong to the zone-file reader, which
 * hands this module the RDATA text of one record.
 */

export class TextFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TextFormatError';
  }
}

export interface TextToken {
  /** The token's characters, escapes kept, quotes removed. */
  readonly text: string;
  readonly quoted: boolean;
}

const BLANK = /\s/;

export function tokenize(text: string): TextToken[] {
  const tokens: TextToken[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (BLANK.test(ch)) {
      i++;
      continue;
    }
    const quoted = ch === '"';
    let j = quoted ? i + 1 : i;
    let token = '';
    for (;;) {
      const c = text[j];
      if (c === undefined) {
        if (quoted) throw new TextFormatError('unterminated quoted string');
        break;
      }
      if (quoted ? c === '"' : BLANK.test(c)) break;
      if (c === '\\') {
        if (text[j + 1] === undefined) throw new TextFormatError('a backslash ends the text');
        token += c + text[j + 1];
        j += 2;
      } else {
        token += c;
        j++;
      }
    }
    tokens.push({ text: token, quoted });
    i = quoted ? j + 1 : j;
  }
  return tokens;
}

const utf8 = new TextEncoder();

/** The octets a token denotes: `\DDD` and `\X` escapes undone, other non-ASCII as UTF-8. */
export function decodeCharacterString(text: string): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '\\') {
      const next = text[i + 1];
      if (next === undefined) throw new TextFormatError('a backslash ends the string');
      if (next >= '0' && next <= '9') {
        const digits = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(digits) || Number(digits) > 255)
          throw new TextFormatError(`bad escape \\${digits}`);
        out.push(Number(digits));
        i += 4;
        continue;
      }
      i += 1;
    }
    const cp = text.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    if (cp < 0x80) out.push(cp);
    else out.push(...utf8.encode(text.slice(i, i + width)));
    i += width;
  }
  return Uint8Array.from(out);
}

/** A quoted character-string: `"` and `\` escaped, octets outside 0x20–0x7E as `\DDD`. */
export function formatCharacterString(bytes: Uint8Array): string {
  let text = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) text += '\\' + String.fromCharCode(b);
    else if (b < 0x20 || b > 0x7e) text += '\\' + String(b).padStart(3, '0');
    else text += String.fromCharCode(b);
  }
  return text + '"';
}

/** A decimal field in 0 ..= max, without sign or leading zeros beyond `0`. */
export function parseDecimal(token: TextToken | undefined, what: string, max: number): number {
  if (token === undefined) throw new TextFormatError(`missing ${what}`);
  if (token.quoted || !/^(0|[1-9][0-9]{0,9})$/.test(token.text))
    throw new TextFormatError(`${what} must be a decimal number, got '${token.text}'`);
  const value = Number(token.text);
  if (value > max) throw new TextFormatError(`${what} ${value} exceeds ${max}`);
  return value;
}

export function formatHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex.toUpperCase();
}

/** Hex digits, possibly split over several tokens (RFC 3597 §5). */
export function parseHex(tokens: readonly TextToken[]): Uint8Array {
  const hex = tokens.map((t) => t.text).join('');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex))
    throw new TextFormatError('expected an even number of hex digits');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
