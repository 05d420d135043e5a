/**
 * The errors of the wire codec.
 *
 * Decoding never throws to its caller: bytes off the network are untrusted, and every way
 * they can be wrong becomes a `DecodeError` value whose `code` is the rcode to answer with
 * (RFC 1035 §4.1.1: FORMERR, "unable to interpret the query"). Inside this folder the
 * readers throw `WireFormatFailure` and the public decoders catch it.
 *
 * Encoding a value that cannot be represented (an address that does not parse, a number
 * out of range, a character-string over 255 octets) is a programming error on our side, so
 * it throws `WireEncodeError` instead of sending something wrong.
 */

/** What exactly was wrong with the bytes. */
export type DecodeProblem =
  /** Fewer than 12 bytes: no header, so no id to answer to. */
  | 'short-header'
  /** A field or section runs past the end of the message (or of its RDATA). */
  | 'truncated'
  /** The section counts ask for more records than the remaining bytes can hold. */
  | 'count-exceeds-data'
  /** Bytes follow the last record the counts announce. */
  | 'trailing-bytes'
  /** A compression pointer to itself or to a later offset (RFC 1035 §4.1.4: "prior occurrence"). */
  | 'forward-pointer'
  /** Pointers that would revisit bytes of the same name, or too many pointers in one name. */
  | 'pointer-loop'
  /** A pointer into the 12-byte header, where no name can start. */
  | 'bad-pointer'
  /** A label whose top bits are 01 or 10 (RFC 6891 §5 retired extended labels). */
  | 'bad-label-type'
  /** A name over 255 octets in wire form (RFC 1035 §2.3.4). */
  | 'name-too-long'
  /** RDATA that does not match its type's format or its RDLENGTH. */
  | 'bad-rdata'
  /** An OPT record outside the additional section, not owned by the root, or malformed. */
  | 'bad-opt'
  /** More than one OPT record (RFC 6891 §6.1.1). */
  | 'multiple-opt';

/** Why bytes are not a DNS message (or record), as a value a server can answer from. */
export interface DecodeError {
  /** The rcode for the response. Every malformed message is a format error. */
  readonly code: 'FORMERR';
  readonly problem: DecodeProblem;
  readonly message: string;
  /** Byte offset (from the start of the message) where the problem was found. */
  readonly offset: number;
  /**
   * The query id, present once the 12-byte header was read, so a FORMERR response can echo
   * it. Absent means there is nothing to answer: drop the datagram.
   */
  readonly id?: number;
}

/** Thrown by the readers in this folder; public decoders turn it into a `DecodeError`. */
export class WireFormatFailure extends Error {
  constructor(
    readonly problem: DecodeProblem,
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'WireFormatFailure';
  }
}

export type EncodeProblem = 'invalid-value' | 'header-too-large';

/** A message or record that has no valid wire form. */
export class WireEncodeError extends Error {
  constructor(
    readonly problem: EncodeProblem,
    message: string,
  ) {
    super(message);
    this.name = 'WireEncodeError';
  }
}
