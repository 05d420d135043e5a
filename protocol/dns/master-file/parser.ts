/**
 * Master files (RFC 1035 §5) in, records out. Pure: the caller reads the file and passes
 * its text and name.
 *
 * What a line may be (RFC 1035 §5.1; `$TTL` from RFC 2308 §4):
 *   - `$ORIGIN <name>`: relative names from here on end in it (a relative argument is
 *     relative to the current origin);
 *   - `$TTL <ttl>`: the TTL of records that give none;
 *   - `$INCLUDE`: refused with an error (this parser reads no files);
 *   - `$GENERATE` (BIND): see generate.ts;
 *   - `<owner> [<ttl>] [<class>] <type> <rdata>`, TTL and class in either order; an
 *     omitted owner (the line starts with a blank) is the previous record's owner; `@` is
 *     the origin; a missing TTL is `$TTL`, else the previous record's TTL (RFC 1035 §5.1);
 *     the class, if given, must be IN.
 * RDATA is every type the wire codec knows in its presentation format, and the RFC 3597 §5
 * generic form `\# <length> <hex>` for any type (`TYPE<n>` names a type by number). Types
 * that cannot be stored in a zone (OPT, TSIG, TKEY, IXFR, AXFR, MAILA, MAILB, ANY) are
 * errors. Without an origin (no `origin` option and no `$ORIGIN` yet), relative names are
 * relative to the root.
 *
 * Errors are values naming the file, line and column; parsing stops at the first.
 */
import { parseRrClass, parseRrType, RR_CLASS, rrTypeName } from '../wire/codes.js';
import { Name, NameError } from '../wire/name.js';
import { rdataFromText } from '../wire/rdata.js';
import type { ResourceRecord } from '../wire/record.js';
import { type MasterFileError, MasterFileFailure } from './errors.js';
import { parseGenerateRange, substitute } from './generate.js';
import { type LogicalLine, logicalLines, type Token } from './lexer.js';
import { looksLikeTtl, parseTtl } from './ttl.js';

/** Records one file may hold, by default (a bound on memory for a file from anywhere). */
export const MASTER_FILE_RECORDS_MAX = 10_000_000;

/** Meta and pseudo types (RFC 6895 §3.1): never zone data. */
const NOT_STORABLE: ReadonlySet<number> = new Set([0, 41, 249, 250, 251, 252, 253, 254, 255]);

export interface ParseOptions {
  /** The file's name, for errors. */
  readonly file: string;
  /** The origin before any `$ORIGIN` (usually the zone's apex). */
  readonly origin?: Name;
  /** The TTL before any `$TTL`. */
  readonly defaultTtl?: number;
  readonly recordsMax?: number;
}

export type ParseResult =
  | { readonly ok: true; readonly records: readonly ResourceRecord[] }
  | { readonly ok: false; readonly error: MasterFileError };

interface State {
  origin: Name | undefined;
  ttl: number | undefined;
  lastTtl: number | undefined;
  owner: Name | undefined;
  readonly records: ResourceRecord[];
  readonly recordsMax: number;
}

function fail(problem: MasterFileFailure['problem'], at: Token | LogicalLine, message: string): never {
  throw new MasterFileFailure(problem, at.line, 'column' in at ? at.column : 1, message);
}

function nameAt(token: Token, origin: Name | undefined): Name {
  if (token.quoted) fail('bad-name', token, `a name must not be quoted: "${token.text}"`);
  try {
    return Name.parse(token.text, origin);
  } catch (error) {
    if (error instanceof NameError) fail('bad-name', token, `bad name '${token.text}': ${error.message}`);
    throw error;
  }
}

/** The RDATA tokens as text `rdataFromText` reads (it tokenizes again, escapes kept). */
function rdataText(tokens: readonly Token[]): string {
  return tokens.map((t) => (t.quoted ? `"${t.text}"` : t.text)).join(' ');
}

/** Reads `[<ttl>] [<class>] <type> <rdata>` from `tokens[at..]` and adds the record. */
function addRecord(state: State, owner: Name, tokens: readonly Token[], at: number, line: LogicalLine): void {
  let i = at;
  let ttl: number | undefined;
  let classSeen = false;
  for (let fields = 0; fields < 2; fields++) {
    const token = tokens[i];
    if (token === undefined || token.quoted) break;
    if (ttl === undefined && looksLikeTtl(token.text)) {
      ttl = parseTtl(token.text);
      if (ttl === undefined) fail('bad-ttl', token, `TTL '${token.text}' exceeds 2^32 - 1`);
      i++;
    } else if (
      !classSeen &&
      parseRrClass(token.text) !== undefined &&
      parseRrType(token.text) === undefined
    ) {
      if (parseRrClass(token.text) !== RR_CLASS.IN)
        fail('bad-class', token, `class ${token.text}: only IN is served`);
      classSeen = true;
      i++;
    } else break;
  }
  const typeToken = tokens[i];
  if (typeToken === undefined) fail('missing-field', tokens[i - 1] ?? line, 'the record has no type');
  const type = typeToken.quoted ? undefined : parseRrType(typeToken.text);
  if (type === undefined) fail('bad-type', typeToken, `unknown type '${typeToken.text}'`);
  if (NOT_STORABLE.has(type)) fail('bad-type', typeToken, `type ${rrTypeName(type)} cannot be zone data`);
  const rdataTokens = tokens.slice(i + 1);
  const first = rdataTokens[0];
  if (first === undefined) fail('missing-field', typeToken, `${typeToken.text} record without RDATA`);
  const rdata = rdataFromText(type, rdataText(rdataTokens), state.origin);
  if (!rdata.ok) fail('bad-rdata', first, `${rrTypeName(type)} RDATA: ${rdata.error.message}`);
  ttl ??= state.ttl ?? state.lastTtl;
  if (ttl === undefined)
    fail('missing-ttl', typeToken, 'no TTL, no $TTL and no earlier record to take one from');
  if (state.records.length >= state.recordsMax)
    fail('limit', typeToken, `more than ${state.recordsMax} records`);
  state.lastTtl = ttl;
  state.owner = owner;
  state.records.push({ name: owner, type, class: RR_CLASS.IN, ttl, rdata: rdata.rdata });
}

function directive(state: State, line: LogicalLine): void {
  const [head, ...args] = line.tokens as [Token, ...Token[]];
  const name = head.text.toUpperCase();
  const arity = (min: number, max: number) => {
    if (args.length < min || args.length > max)
      fail(
        'bad-directive',
        head,
        `${name} takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.length}`,
      );
  };
  switch (name) {
    case '$ORIGIN': {
      arity(1, 1);
      state.origin = nameAt(args[0] as Token, state.origin);
      return;
    }
    case '$TTL': {
      arity(1, 1);
      const ttl = parseTtl((args[0] as Token).text);
      if (ttl === undefined) fail('bad-ttl', args[0] as Token, `bad $TTL '${args[0]?.text}'`);
      state.ttl = ttl;
      return;
    }
    case '$INCLUDE':
      fail('include-refused', head, '$INCLUDE is not supported: give the included records inline');
      break;
    case '$GENERATE':
      generate(state, line, head, args);
      return;
    default:
      fail('bad-directive', head, `unknown directive ${head.text}`);
  }
}

function generate(state: State, line: LogicalLine, head: Token, args: readonly Token[]): void {
  const [rangeToken, lhs, ...rest] = args;
  if (rangeToken === undefined || lhs === undefined || rest.length < 2)
    fail('bad-directive', head, '$GENERATE needs a range, an owner, a type and RDATA');
  const range = parseGenerateRange(rangeToken.text);
  if (typeof range === 'string') fail('bad-directive', rangeToken, range);
  const saved = state.owner;
  for (let value = range.start; value <= range.stop; value += range.step) {
    const expand = (token: Token): Token => {
      const text = substitute(token.text, value);
      if (typeof text !== 'string') fail('bad-directive', token, text.error);
      return { ...token, text };
    };
    addRecord(state, nameAt(expand(lhs), state.origin), rest.map(expand), 0, line);
  }
  state.owner = saved;
}

/** Parses a master file (see the file comment). Never throws. */
export function parseMasterFile(text: string, options: ParseOptions): ParseResult {
  const state: State = {
    origin: options.origin,
    ttl: options.defaultTtl,
    lastTtl: undefined,
    owner: undefined,
    records: [],
    recordsMax: options.recordsMax ?? MASTER_FILE_RECORDS_MAX,
  };
  try {
    for (const line of logicalLines(text)) {
      const first = line.tokens[0] as Token;
      if (!line.ownerOmitted && !first.quoted && first.text.startsWith('$')) {
        directive(state, line);
        continue;
      }
      if (line.ownerOmitted) {
        if (state.owner === undefined)
          fail('missing-field', first, 'no owner: the first record must name one');
        addRecord(state, state.owner, line.tokens, 0, line);
      } else {
        if (line.tokens.length < 2)
          fail('missing-field', first, 'a record needs a type and RDATA after the owner');
        addRecord(state, nameAt(first, state.origin), line.tokens, 1, line);
      }
    }
    return { ok: true, records: state.records };
  } catch (error) {
    if (!(error instanceof MasterFileFailure)) throw error;
    return {
      ok: false,
      error: {
        problem: error.problem,
        file: options.file,
        line: error.line,
        column: error.column,
        message: error.message,
      },
    };
  }
}
