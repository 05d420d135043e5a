/**
 * Limits shared by both sides of the wire. Each is named once, here, with its reason.
 */

/** Largest TTL a record may carry: RFC 2181 §8 (a 31-bit unsigned value). */
export const MAX_TTL = 0x7fffffff;
