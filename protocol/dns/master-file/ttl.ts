/**
 * TTL fields of master files: a decimal number of seconds (RFC 1035 §5.1), or BIND's unit
 * form that Knot and NSD also read (`1h30m`, `2W`, `1d12h`; units w d h m s, any case).
 * The value must fit 32 bits.
 */
const TTL_MAX = 0xffffffff;
const UNIT_SECONDS: Readonly<Record<string, number>> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
const PLAIN = /^[0-9]{1,10}$/;
const UNITS = /^([0-9]{1,10}[wdhmsWDHMS])+$/;
const UNIT_PART = /([0-9]{1,10})([wdhmsWDHMS])/g;

/** True when `text` has the shape of a TTL (so it is not a class or a type). */
export function looksLikeTtl(text: string): boolean {
  return PLAIN.test(text) || UNITS.test(text);
}

/** Seconds, or undefined for text that is not a TTL or exceeds 2^32 - 1. */
export function parseTtl(text: string): number | undefined {
  let seconds: number;
  if (PLAIN.test(text)) seconds = Number(text);
  else if (UNITS.test(text)) {
    seconds = 0;
    for (const [, count, unit] of text.matchAll(UNIT_PART))
      seconds += Number(count) * (UNIT_SECONDS[(unit as string).toLowerCase()] as number);
  } else return undefined;
  return seconds <= TTL_MAX ? seconds : undefined;
}
