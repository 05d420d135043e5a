/**
 * SOA serial arithmetic (RFC 1982 §3.2, SERIAL_BITS = 32): serials compare on a circle, so
 * a serial "follows" another when it is less than 2^31 ahead of it. Two serials exactly
 * 2^31 apart are neither less nor greater (undefined by §3.2); `serialLessThan` says false.
 */
const HALF = 2 ** 31;
const MODULUS = 2 ** 32;

/** RFC 1982 §3.2: s1 < s2 when (i1 < i2 and i2 - i1 < 2^31) or (i1 > i2 and i1 - i2 > 2^31). */
export function serialLessThan(s1: number, s2: number): boolean {
  return (s1 < s2 && s2 - s1 < HALF) || (s1 > s2 && s1 - s2 > HALF);
}

/** True for an integer in 0 ..= 2^32 - 1. */
export function isSerial(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < MODULUS;
}
