/**
 * Authoritative lookup (RFC 1034 §4.3.2), pure: a question and the served zones in, a
 * `LookupResult` out, which the server turns into a message.
 *
 * - Zone choice: the zone with the longest apex that contains the query name, of the
 *   question's class; none → `refused`.
 * - Walking down from the apex, the first delegation (NS below the apex) on the way to the
 *   name is a `referral`: the NS RRset in authority, glue A/AAAA in additional. Glue for
 *   targets at or below the cut (in-bailiwick, needed to reach the child) comes first and
 *   counts in `requiredAdditionals` (dropping it must set TC); addresses held for other
 *   in-zone targets follow and may be dropped. A DS query at the cut is answered by the
 *   parent (RFC 4035 §3.1.4.1): as we hold no DS, that is NODATA.
 * - A name that exists (with data, or as an empty non-terminal, RFC 8020) gives its RRset
 *   (`answer`) or `nodata`; one that does not gives `nxdomain` — unless a wildcard
 *   `*.<closest encloser>` exists (RFC 4592 §3.3.1), which then answers with the query
 *   name as owner. A wildcard that is an empty non-terminal gives `nodata`. Wildcards are
 *   never used for names that exist, nor below a delegation (the walk stops at the cut).
 * - A CNAME at the name (query type not CNAME/ANY) is added to the answer and followed
 *   while its target is in the same zone (RFC 1034 §4.3.2 step 3a), through wildcards and
 *   into referrals; it stops at a target outside the zone (`chainEnd: 'out-of-zone'`), a
 *   loop (`'loop'`), or after `MAX_CNAME_CHAIN` CNAMEs (`'limit'`). The final kind and
 *   rcode describe the last name in the chain (RFC 6604); the chain stays in `answers`.
 *   Other served zones are not entered: the resolver follows from there.
 * - ANY (RFC 8482): every RRset at the name (synthesized ones for a wildcard match). The
 *   server may shrink this to one RRset if it wants the minimal answer of RFC 8482 §4.
 * - Negative answers carry the zone's SOA in authority, TTL = min(SOA TTL, SOA minimum)
 *   (RFC 2308 §3, §5).
 *
 * Owners: a record matched at the query name gets the name as asked (case echoed, and the
 * query name for a wildcard match); later chain names are the CNAME targets as written;
 * NS, glue and SOA keep the zone's spelling. RRsets keep the order given; rotation and
 * additional-section processing for MX/SRV/NS targets are the server's business.
 */
import { RCODE, RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import type { Name } from '../../../protocol/dns/wire/name.js';
import type { Question, ResourceRecord } from '../../../protocol/dns/wire/record.js';
import type { RRset, ZoneView } from './zone-view.js';

export const MAX_CNAME_CHAIN = 16;
const DS_TYPE = 43;

export type ChainEnd = 'out-of-zone' | 'loop' | 'limit';

interface Sections {
  readonly zone: ZoneView;
  /** AA: true for data from the zone, and for a referral reached through an in-zone CNAME. */
  readonly authoritative: boolean;
  readonly rcode: number;
  readonly answers: readonly ResourceRecord[];
  readonly authorities: readonly ResourceRecord[];
  readonly additionals: readonly ResourceRecord[];
  /** How many leading additionals are required glue (for `encodeMessage`). */
  readonly requiredAdditionals: number;
}

export type LookupResult =
  | { readonly kind: 'refused'; readonly rcode: number }
  | (Sections & { readonly kind: 'answer'; readonly chainEnd?: ChainEnd })
  | (Sections & { readonly kind: 'referral'; readonly cut: Name })
  | (Sections & { readonly kind: 'nxdomain' })
  | (Sections & { readonly kind: 'nodata' });

export type LookupKind = LookupResult['kind'];

/** Zones indexed by apex key and class, for choosing the longest match in O(labels). */
export class ZoneSet {
  readonly #byApex = new Map<string, ZoneView>();

  constructor(zones: Iterable<ZoneView> = []) {
    for (const zone of zones) this.add(zone);
  }

  /** Adds or replaces the zone at that apex and class. */
  add(zone: ZoneView): void {
    this.#byApex.set(`${zone.rrClass} ${zone.apex.key}`, zone);
  }

  delete(apex: Name, rrClass: number): boolean {
    return this.#byApex.delete(`${rrClass} ${apex.key}`);
  }

  /** The zone with the longest apex containing `name`. */
  find(name: Name, rrClass: number): ZoneView | undefined {
    for (let n: Name | undefined = name; n !== undefined; n = n.parent()) {
      const zone = this.#byApex.get(`${rrClass} ${n.key}`);
      if (zone !== undefined) return zone;
    }
    return undefined;
  }

  get size(): number {
    return this.#byApex.size;
  }
}

function findZone(zones: ZoneSet | readonly ZoneView[], name: Name, rrClass: number): ZoneView | undefined {
  if (zones instanceof ZoneSet) return zones.find(name, rrClass);
  let best: ZoneView | undefined;
  for (const zone of zones) {
    if (zone.rrClass !== rrClass || !zone.contains(name)) continue;
    if (best === undefined || zone.apex.labelCount > best.apex.labelCount) best = zone;
  }
  return best;
}

/** Answers `question` from the served zones (RFC 1034 §4.3.2). */
export function lookup(zones: ZoneSet | readonly ZoneView[], question: Question): LookupResult {
  const zone = findZone(zones, question.name, question.class);
  if (zone === undefined) return { kind: 'refused', rcode: RCODE.REFUSED };

  const answers: ResourceRecord[] = [];
  const seen = new Set<string>();
  let name = question.name;
  for (;;) {
    seen.add(name.key);
    const step = resolveName(zone, name, question.type);
    switch (step.kind) {
      case 'referral': {
        const glue = referralGlue(zone, step.cut, step.ns);
        return {
          kind: 'referral',
          zone,
          cut: step.cut,
          rcode: RCODE.NOERROR,
          authoritative: answers.length > 0,
          answers,
          authorities: toRecords(zone, step.cut, step.ns),
          additionals: glue.records,
          requiredAdditionals: glue.required,
        };
      }
      case 'nxdomain':
        return sections('nxdomain', zone, RCODE.NXDOMAIN, answers, [zone.negativeSoaRecord()]);
      case 'nodata':
        return sections('nodata', zone, RCODE.NOERROR, answers, [zone.negativeSoaRecord()]);
      case 'data':
        for (const set of step.rrsets) answers.push(...toRecords(zone, name, set));
        return sections('answer', zone, RCODE.NOERROR, answers, []);
      case 'cname': {
        answers.push(...toRecords(zone, name, step.cname));
        const first = step.cname.rdatas[0];
        const target = first?.kind === 'CNAME' ? first.target : undefined;
        let chainEnd: ChainEnd | undefined;
        if (target === undefined || !zone.contains(target)) chainEnd = 'out-of-zone';
        else if (seen.has(target.key)) chainEnd = 'loop';
        else if (seen.size >= MAX_CNAME_CHAIN) chainEnd = 'limit';
        if (chainEnd !== undefined || target === undefined)
          return {
            kind: 'answer',
            zone,
            authoritative: true,
            rcode: RCODE.NOERROR,
            answers,
            authorities: [],
            additionals: [],
            requiredAdditionals: 0,
            chainEnd: chainEnd ?? 'out-of-zone',
          };
        name = target;
      }
    }
  }
}

/**
 * The sections of an answer, NODATA or NXDOMAIN from the zone (AA set, no additionals):
 * a literal of one shape, where spreading a shared base costs microseconds a query.
 */
function sections<K extends 'answer' | 'nodata' | 'nxdomain'>(
  kind: K,
  zone: ZoneView,
  rcode: number,
  answers: readonly ResourceRecord[],
  authorities: readonly ResourceRecord[],
): Sections & { readonly kind: K } {
  return {
    kind,
    zone,
    authoritative: true,
    rcode,
    answers,
    authorities,
    additionals: [],
    requiredAdditionals: 0,
  };
}

type Step =
  | { readonly kind: 'referral'; readonly cut: Name; readonly ns: RRset }
  | { readonly kind: 'nxdomain' }
  | { readonly kind: 'nodata' }
  | { readonly kind: 'data'; readonly rrsets: readonly RRset[] }
  | { readonly kind: 'cname'; readonly cname: RRset };

/** One pass of RFC 1034 §4.3.2 step 3 for `name` inside `zone`. */
function resolveName(zone: ZoneView, name: Name, type: number): Step {
  // The names from just below the apex down to `name`.
  const path: Name[] = [];
  for (let n: Name | undefined = name; n !== undefined && n.labelCount > zone.apex.labelCount; n = n.parent())
    path.push(n);
  let encloser = zone.apex;
  for (let i = path.length - 1; i >= 0; i--) {
    const n = path[i] as Name;
    if (zone.hasCuts && zone.isCut(n) && !(i === 0 && type === DS_TYPE)) {
      const node = zone.node(n);
      const ns = node?.rrsets.get(RR_TYPE.NS);
      if (node !== undefined && ns !== undefined) return { kind: 'referral', cut: node.name, ns };
    }
    if (!zone.exists(n)) {
      // `encloser` is the closest encloser (RFC 4592 §3.3.1); its `*` child is the source
      // of synthesis when it exists.
      const wildcard = encloser.child('*');
      if (!zone.exists(wildcard)) return { kind: 'nxdomain' };
      return matchNode(zone, wildcard, type);
    }
    encloser = n;
  }
  return matchNode(zone, name, type);
}

function matchNode(zone: ZoneView, owner: Name, type: number): Step {
  const node = zone.node(owner);
  if (node === undefined) return { kind: 'nodata' };
  if (type === RR_TYPE.ANY) return { kind: 'data', rrsets: [...node.rrsets.values()] };
  const exact = node.rrsets.get(type);
  if (exact !== undefined) return { kind: 'data', rrsets: [exact] };
  const cname = node.rrsets.get(RR_TYPE.CNAME);
  if (cname !== undefined) return { kind: 'cname', cname };
  return { kind: 'nodata' };
}

function toRecords(zone: ZoneView, owner: Name, set: RRset): ResourceRecord[] {
  return set.rdatas.map((rdata) => ({
    name: owner,
    type: set.type,
    class: zone.rrClass,
    ttl: set.ttl,
    rdata,
  }));
}

/** Glue for a referral: addresses of in-bailiwick targets first (required), then others in the zone. */
function referralGlue(zone: ZoneView, cut: Name, ns: RRset): { records: ResourceRecord[]; required: number } {
  const required: ResourceRecord[] = [];
  const optional: ResourceRecord[] = [];
  const done = new Set<string>();
  for (const rdata of ns.rdatas) {
    if (rdata.kind !== 'NS' || !zone.contains(rdata.target) || done.has(rdata.target.key)) continue;
    done.add(rdata.target.key);
    const node = zone.node(rdata.target);
    if (node === undefined) continue;
    const into = rdata.target.isSubdomainOf(cut) ? required : optional;
    for (const type of [RR_TYPE.A, RR_TYPE.AAAA]) {
      const set = node.rrsets.get(type);
      if (set !== undefined) into.push(...toRecords(zone, node.name, set));
    }
  }
  return { records: [...required, ...optional], required: required.length };
}
