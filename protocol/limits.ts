/**
 * Limits shared by both sides of the wire. Each is named once, here, with its reason.
 */

/** Largest TTL a record may carry: RFC 2181 §8 (a 31-bit unsigned value). */
export const MAX_TTL = 0x7fffffff;

/**
 * Largest staleness a `bounded:<ms>` read may allow: one hour. A policy bound, not a
 * measured one: past an hour a bounded read no longer bounds anything an operator would
 * rely on, and a larger number is far more likely a unit mistake than an intent.
 */
export const BOUNDED_STALENESS_MS_MAX = 3_600_000;
