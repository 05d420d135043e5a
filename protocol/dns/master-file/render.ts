/**
 * A zone as a master file (RFC 1035 §5): `$ORIGIN` the apex, then the SOA, then every
 * other record in canonical order (RFC 4034 §6), one per line, with absolute names, the
 * TTL and the class on every line so each line stands alone. Names are escaped for the
 * strictest parser (name-text.ts); unknown types print in the RFC 3597 generic form.
 * `parseMasterFile` reads the result back to the same records, and BIND's named-checkzone
 * and Knot's kzonecheck accept it.
 */
import { RR_TYPE, rrClassName, rrTypeName } from '../wire/codes.js';
import type { Name } from '../wire/name.js';
import { type Rdata, rdataToText } from '../wire/rdata.js';
import type { ResourceRecord } from '../wire/record.js';
import { sortCanonical } from './canonical-order.js';
import { zoneNameText } from './name-text.js';

export interface RenderOptions {
  readonly origin: Name;
}

/** RDATA text with its names escaped by `zoneNameText`; other fields as the codec prints them. */
function rdataText(rdata: Rdata): string {
  switch (rdata.kind) {
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return zoneNameText(rdata.target);
    case 'MX':
      return `${rdata.preference} ${zoneNameText(rdata.exchange)}`;
    case 'SRV':
      return `${rdata.priority} ${rdata.weight} ${rdata.port} ${zoneNameText(rdata.target)}`;
    case 'SOA':
      return `${zoneNameText(rdata.mname)} ${zoneNameText(rdata.rname)} ${rdata.serial} ${rdata.refresh} ${rdata.retry} ${rdata.expire} ${rdata.minimum}`;
    default:
      return rdataToText(rdata);
  }
}

function recordText(rr: ResourceRecord): string {
  return `${zoneNameText(rr.name)} ${rr.ttl} ${rrClassName(rr.class)} ${rrTypeName(rr.type)} ${rdataText(rr.rdata)}`;
}

export function renderMasterFile(records: readonly ResourceRecord[], options: RenderOptions): string {
  const sorted = sortCanonical(records);
  const isApexSoa = (rr: ResourceRecord) => rr.type === RR_TYPE.SOA && rr.name.equals(options.origin);
  const lines = [`$ORIGIN ${zoneNameText(options.origin)}`];
  for (const rr of sorted) if (isApexSoa(rr)) lines.push(recordText(rr));
  for (const rr of sorted) if (!isApexSoa(rr)) lines.push(recordText(rr));
  return `${lines.join('\n')}\n`;
}
