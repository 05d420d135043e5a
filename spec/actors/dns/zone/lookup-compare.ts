/** Compares what two zones answer, question by question (test helper). */
import { expect } from 'chai';
import { type LookupResult, lookup } from '../../../../actors/dns/zone/lookup.js';
import type { ZoneView } from '../../../../actors/dns/zone/zone-view.js';
import { RR_CLASS } from '../../../../protocol/dns/wire/codes.js';
import type { Name } from '../../../../protocol/dns/wire/name.js';
import { type ResourceRecord, recordToText } from '../../../../protocol/dns/wire/record.js';

export function describeLookup(r: LookupResult): unknown {
  if (r.kind === 'refused') return r;
  const text = (rrs: readonly ResourceRecord[]) => rrs.map(recordToText);
  return {
    kind: r.kind,
    rcode: r.rcode,
    aa: r.authoritative,
    answers: text(r.answers),
    authorities: text(r.authorities),
    additionals: text(r.additionals),
    required: r.requiredAdditionals,
    cut: r.kind === 'referral' ? r.cut.toString() : undefined,
    chainEnd: r.kind === 'answer' ? r.chainEnd : undefined,
  };
}

export function sameLookups(
  a: ZoneView,
  b: ZoneView,
  names: readonly Name[],
  types: readonly number[],
): void {
  for (const name of names)
    for (const type of types) {
      const q = { name, type, class: RR_CLASS.IN };
      expect(describeLookup(lookup([a], q)), `${name} ${type}`).to.deep.equal(describeLookup(lookup([b], q)));
    }
}
