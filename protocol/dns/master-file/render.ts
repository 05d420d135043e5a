/**
 * A zone as a master file (RFC 1035 §5): `$ORIGIN` the apex, then the SOA, then every
 * other record in canonical order (RFC 4034 §6), one per line, with absolute names, the
 * TTL and the class on every line so each line stands alone. Unknown types print in the
 * RFC 3597 generic form. `parseMasterFile` reads the result back to the same records, and
 * BIND's named-checkzone and Knot's kzonecheck accept it.
 */
import { RR_TYPE } from '../wire/codes.js';
import type { Name } from '../wire/name.js';
import { type ResourceRecord, recordToText } from '../wire/record.js';
import { sortCanonical } from './canonical-order.js';

export interface RenderOptions {
  readonly origin: Name;
}

export function renderMasterFile(records: readonly ResourceRecord[], options: RenderOptions): string {
  const sorted = sortCanonical(records);
  const isApexSoa = (rr: ResourceRecord) => rr.type === RR_TYPE.SOA && rr.name.equals(options.origin);
  const lines = [`$ORIGIN ${options.origin}`];
  for (const rr of sorted) if (isApexSoa(rr)) lines.push(recordToText(rr));
  for (const rr of sorted) if (!isApexSoa(rr)) lines.push(recordToText(rr));
  return `${lines.join('\n')}\n`;
}
