/**
 * BIND's key-file format (named.conf `key` statements, as `tsig-keygen` writes them and
 * `dig -k`, `nsupdate -k` and named read them):
 *
 *   key "name" {
 *       algorithm hmac-sha256;
 *       secret "base64";
 *   };
 *
 * A file may hold several keys. Comments are `#`, `//` and C-style; names may be quoted or
 * bare. Parsing returns keys or a typed error with its line and column; it reads no file.
 */
import { type Name, parseName } from '../wire/name.js';
import { parseTsigAlgorithm } from './algorithm.js';
import { makeTsigKey, TSIG_SECRET_OCTETS_MAX, type TsigKey } from './key.js';

/** Bigger texts are refused before any work: a key file is a few hundred bytes per key. */
export const KEY_FILE_CHARS_MAX = 1_000_000;

export interface KeyFileError {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export type KeyFileResult =
  | { readonly ok: true; readonly keys: readonly TsigKey[] }
  | { readonly ok: false; readonly error: KeyFileError };

interface Token {
  readonly text: string;
  readonly quoted: boolean;
  readonly line: number;
  readonly column: number;
}

class KeyFileFailure extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const fail = (message: string, at: number): never => {
    throw new KeyFileFailure(line, at - lineStart + 1, message);
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') {
      line++;
      lineStart = ++i;
    } else if (/\s/.test(c)) i++;
    else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated comment', i);
      for (; i < end + 2; i++)
        if (text[i] === '\n') {
          line++;
          lineStart = i + 1;
        }
    } else if (c === '{' || c === '}' || c === ';') {
      tokens.push({ text: c, quoted: false, line, column: i - lineStart + 1 });
      i++;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0 || text.slice(i + 1, end).includes('\n')) fail('unterminated string', i);
      tokens.push({ text: text.slice(i + 1, end), quoted: true, line, column: i - lineStart + 1 });
      i = end + 1;
    } else {
      const start = i;
      while (i < text.length && !/[\s{};"#]/.test(text[i] as string)) i++;
      tokens.push({ text: text.slice(start, i), quoted: false, line, column: start - lineStart + 1 });
    }
  }
  return tokens;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses a key file (see the file comment). Never throws. */
export function parseKeyFile(text: string): KeyFileResult {
  try {
    if (text.length > KEY_FILE_CHARS_MAX)
      throw new KeyFileFailure(1, 1, `key file of ${text.length} characters (max ${KEY_FILE_CHARS_MAX})`);
    return { ok: true, keys: parseTokens(tokenize(text)) };
  } catch (error) {
    if (error instanceof KeyFileFailure)
      return { ok: false, error: { line: error.line, column: error.column, message: error.message } };
    throw error;
  }
}

function parseTokens(tokens: readonly Token[]): TsigKey[] {
  const keys: TsigKey[] = [];
  let i = 0;
  const last = tokens[tokens.length - 1];
  const next = (what: string): Token => {
    const token = tokens[i++];
    if (token === undefined)
      throw new KeyFileFailure(
        last?.line ?? 1,
        (last?.column ?? 0) + (last?.text.length ?? 0),
        `missing ${what}`,
      );
    return token;
  };
  const expect = (text: string): void => {
    const token = next(`'${text}'`);
    if (token.quoted || token.text !== text)
      throw new KeyFileFailure(token.line, token.column, `expected '${text}', got '${token.text}'`);
  };
  while (i < tokens.length) {
    const keyword = next('key');
    if (keyword.quoted || keyword.text !== 'key')
      throw new KeyFileFailure(keyword.line, keyword.column, `expected 'key', got '${keyword.text}'`);
    const nameToken = next('key name');
    const parsed = parseName(
      nameToken.text === '' ? '' : nameToken.text.endsWith('.') ? nameToken.text : `${nameToken.text}.`,
    );
    if (!parsed.ok)
      throw new KeyFileFailure(nameToken.line, nameToken.column, `bad key name: ${parsed.error.message}`);
    expect('{');
    let algorithm: ReturnType<typeof parseTsigAlgorithm>;
    let secret: Uint8Array | undefined;
    for (;;) {
      const field = next("'algorithm', 'secret' or '}'");
      if (field.text === '}' && !field.quoted) break;
      const value = next(`the value of ${field.text}`);
      if (field.text === 'algorithm') {
        algorithm = parseTsigAlgorithm(value.text);
        if (algorithm === undefined)
          throw new KeyFileFailure(value.line, value.column, `unsupported algorithm '${value.text}'`);
      } else if (field.text === 'secret') {
        if (!BASE64.test(value.text) || value.text.length % 4 !== 0)
          throw new KeyFileFailure(value.line, value.column, 'the secret is not base64');
        secret = new Uint8Array(Buffer.from(value.text, 'base64'));
        if (secret.length === 0 || secret.length > TSIG_SECRET_OCTETS_MAX)
          throw new KeyFileFailure(
            value.line,
            value.column,
            `secret of ${secret.length} octets (1 ..= ${TSIG_SECRET_OCTETS_MAX})`,
          );
      } else throw new KeyFileFailure(field.line, field.column, `unknown key field '${field.text}'`);
      expect(';');
    }
    expect(';');
    if (algorithm === undefined)
      throw new KeyFileFailure(nameToken.line, nameToken.column, `key ${nameToken.text} has no algorithm`);
    if (secret === undefined)
      throw new KeyFileFailure(nameToken.line, nameToken.column, `key ${nameToken.text} has no secret`);
    keys.push(makeTsigKey(parsed.name, secret, algorithm));
  }
  return keys;
}

/** The key's name as BIND writes it: presentation format without the final dot. */
function keyNameText(name: Name): string {
  return name.isRoot ? '.' : name.toString().slice(0, -1);
}

/** Renders keys in the format `parseKeyFile` reads and BIND's tools accept. */
export function renderKeyFile(keys: readonly TsigKey[]): string {
  return keys
    .map(
      (key) =>
        `key "${keyNameText(key.name)}" {\n\talgorithm ${key.algorithm};\n\tsecret "${Buffer.from(key.secret).toString('base64')}";\n};\n`,
    )
    .join('');
}
