/**
 * Additional-section processing for answers (RFC 1035 §3.3.9, §3.3.11 and §4.3.2 step 6;
 * RFC 2782 for SRV): the A and AAAA records the zone holds for the targets of NS, MX and
 * SRV records in the answer, so a resolver need not ask for them. Only names inside the
 * answer's zone are looked up (the server is authoritative for nothing else). The records
 * are optional: the codec drops them before setting TC (RFC 2181 §9), so they go after any
 * required additionals.
 */
import { RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import type { Name } from '../../../protocol/dns/wire/name.js';
import type { ResourceRecord } from '../../../protocol/dns/wire/record.js';
import type { ZoneView } from '../zone/zone-view.js';

/** Targets looked up per answer: an RRset of thousands of MX records gains nothing from more. */
export const ADDITIONAL_TARGETS_MAX = 32;

function targetOf(rr: ResourceRecord): Name | undefined {
  switch (rr.rdata.kind) {
    case 'NS':
      return rr.rdata.target;
    case 'MX':
      return rr.rdata.exchange;
    case 'SRV':
      // RFC 2782: a target of "." means the service is not available here.
      return rr.rdata.target.isRoot ? undefined : rr.rdata.target;
    default:
      return undefined;
  }
}

/** The in-zone addresses of the answer's NS, MX and SRV targets, in answer order, each target once. */
export function targetAddresses(zone: ZoneView, answers: readonly ResourceRecord[]): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  const seen = new Set<string>();
  for (const rr of answers) {
    const target = targetOf(rr);
    if (target === undefined || seen.has(target.key) || !zone.contains(target)) continue;
    if (seen.size >= ADDITIONAL_TARGETS_MAX) break;
    seen.add(target.key);
    const node = zone.node(target);
    if (node === undefined) continue;
    for (const type of [RR_TYPE.A, RR_TYPE.AAAA]) {
      const set = node.rrsets.get(type);
      if (set === undefined) continue;
      for (const rdata of set.rdatas)
        out.push({ name: node.name, type, class: zone.rrClass, ttl: set.ttl, rdata });
    }
  }
  return out;
}
