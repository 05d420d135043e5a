/**
 * Signed TCP streams (RFC 8945 §5.3.1), such as a zone transfer's answer: the first
 * message is signed as an answer (request MAC, full variables); every later one over the
 * prior message's MAC and the timers only (Time Signed and Fudge). We sign every message
 * (the RFC allows up to 99 unsigned ones between signed ones, but a client must then keep
 * hashing; signing each is simpler for both sides), and the verifier requires every
 * message to be signed.
 */
import type { TsigKey } from './key.js';
import { DEFAULT_FUDGE_SECONDS, signMessage } from './sign.js';
import { type ResponseVerification, verifyResponse } from './verify.js';

export class TsigStreamSigner {
  #chainedMac: Uint8Array;
  #first = true;

  constructor(
    readonly key: TsigKey,
    /** The MAC of the request the stream answers. */
    requestMac: Uint8Array,
    readonly fudge: number = DEFAULT_FUDGE_SECONDS,
  ) {
    this.#chainedMac = requestMac;
  }

  /** Signs the next message of the stream at `nowSeconds`. */
  sign(unsigned: Uint8Array, nowSeconds: number): Uint8Array {
    const signed = signMessage(unsigned, {
      key: this.key,
      timeSigned: nowSeconds,
      fudge: this.fudge,
      chainedMac: this.#chainedMac,
      variables: this.#first ? 'full' : 'timers',
    });
    this.#first = false;
    this.#chainedMac = signed.mac;
    return signed.bytes;
  }
}

export class TsigStreamVerifier {
  #chainedMac: Uint8Array;
  #first = true;
  #failed = false;

  constructor(
    readonly key: TsigKey,
    requestMac: Uint8Array,
  ) {
    this.#chainedMac = requestMac;
  }

  /** Verifies the next message; after a failure every later message fails too. */
  verify(bytes: Uint8Array, nowSeconds: number): ResponseVerification {
    if (this.#failed) return { kind: 'rejected', error: 'BADSIG', byPeer: false };
    const result = verifyResponse(
      bytes,
      this.key,
      this.#chainedMac,
      nowSeconds,
      this.#first ? 'full' : 'timers',
    );
    if (result.kind === 'verified') {
      this.#first = false;
      this.#chainedMac = result.record.rdata.mac;
    } else this.#failed = true;
    return result;
  }
}
