/**
 * The canonical order of records (RFC 4034 §6.1, §6.3): names compared label by label
 * from the root, each label as lowercase octets (a shorter label that is a prefix sorts
 * first, and a name sorts before its descendants); then type; then RDATA as uncompressed
 * wire octets. Master files rendered in this order are stable: the same zone gives the
 * same text.
 */
import type { Name } from '../wire/name.js';
import { encodeRdata } from '../wire/rdata.js';
import type { ResourceRecord } from '../wire/record.js';

function compareOctets(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function compareNamesCanonical(a: Name, b: Name): number {
  const x = a.lowercaseLabels;
  const y = b.lowercaseLabels;
  for (let i = x.length - 1, j = y.length - 1; i >= 0 && j >= 0; i--, j--) {
    const d = compareOctets(x[i] as string, y[j] as string);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Records in canonical order (a new array; RDATA is encoded once per record). */
export function sortCanonical(records: readonly ResourceRecord[]): ResourceRecord[] {
  const keyed = records.map((rr) => ({ rr, wire: encodeRdata(rr.rdata) }));
  keyed.sort(
    (p, q) =>
      compareNamesCanonical(p.rr.name, q.rr.name) || p.rr.type - q.rr.type || compareBytes(p.wire, q.wire),
  );
  return keyed.map((k) => k.rr);
}
