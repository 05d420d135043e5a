/**
 * The TSIG error codes (RFC 8945 §5.2, IANA "DNS RCODEs"). They travel in the TSIG
 * record's Error field, while the header's rcode of such a response is NOTAUTH.
 */
export const TSIG_ERROR = {
  NOERROR: 0,
  BADSIG: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADTRUNC: 22,
} as const;
export type TsigErrorName = keyof typeof TSIG_ERROR;
/** The errors a receiver reports in its answer (everything but success). */
export type TsigRejection = Exclude<TsigErrorName, 'NOERROR'>;

const NAMES = new Map<number, TsigErrorName>(
  (Object.entries(TSIG_ERROR) as [TsigErrorName, number][]).map(([name, code]) => [code, name]),
);

/** The name of a TSIG Error field value, or `undefined` for a value without one here. */
export function tsigErrorName(code: number): TsigErrorName | undefined {
  return NAMES.get(code);
}

/** Why a TSIG record makes its message a format error (RFC 8945 §5.2, §5.2.2.1). */
export type TsigFormatProblem =
  /** The message itself does not decode. */
  | 'bad-message'
  /** A TSIG record that is not the last additional record, or more than one. */
  | 'misplaced'
  /** The TSIG record is not class ANY. */
  | 'bad-class'
  /** The TSIG record's TTL is not 0 (the MAC does not cover it, so it must be fixed). */
  | 'bad-ttl'
  /** The RDATA does not follow §4.2's layout. */
  | 'bad-rdata'
  /** The MAC is longer than the hash or shorter than §5.2.2.1 allows. */
  | 'bad-mac-size';

/** A message whose TSIG cannot be interpreted: the answer is FORMERR (RFC 8945 §5.2). */
export interface TsigFormatError {
  readonly code: 'FORMERR';
  readonly problem: TsigFormatProblem;
  readonly message: string;
}
