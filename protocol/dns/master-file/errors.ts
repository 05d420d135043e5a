/**
 * The errors of master-file parsing, as values: each names the file, the line and the
 * column (both from 1) where the problem starts, so an operator can go straight to it.
 */
export type MasterFileProblem =
  /** A quoted string or a parenthesis group not closed, a `)` without `(`, nested `(`. */
  | 'syntax'
  /** `$INCLUDE`: reading other files is the caller's business, not this pure parser's. */
  | 'include-refused'
  /** A `$` directive we do not know, or one with the wrong arguments. */
  | 'bad-directive'
  /** An owner or other name that does not parse, or `@` with no origin. */
  | 'bad-name'
  | 'bad-ttl'
  /** A record with no TTL, no `$TTL` and no earlier record to take it from. */
  | 'missing-ttl'
  /** A class other than IN. */
  | 'bad-class'
  /** An unknown type, or one that cannot be stored (OPT, TSIG, AXFR, IXFR, ANY...). */
  | 'bad-type'
  /** RDATA that does not match its type's presentation format (or RFC 3597's). */
  | 'bad-rdata'
  /** A line with no owner before it, or a record line with nothing after the owner. */
  | 'missing-field'
  /** More records, characters or generated names than the limits allow. */
  | 'limit';

export interface MasterFileError {
  readonly problem: MasterFileProblem;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** `zone.db:12:5: unknown type 'AA'`. */
export function masterFileErrorText(error: MasterFileError): string {
  return `${error.file}:${error.line}:${error.column}: ${error.message}`;
}

/** Thrown inside this folder; the public parser returns it as a `MasterFileError`. */
export class MasterFileFailure extends Error {
  constructor(
    readonly problem: MasterFileProblem,
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
    this.name = 'MasterFileFailure';
  }
}
