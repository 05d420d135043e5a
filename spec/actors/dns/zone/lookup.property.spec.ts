import { expect } from 'chai';
import fc from 'fast-check';
import { type LookupResult, lookup, MAX_CNAME_CHAIN } from '../../../../actors/dns/zone/lookup.js';
import { buildZone, type Zone } from '../../../../actors/dns/zone/zone.js';
import { RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { type Rdata, rdataToText } from '../../../../protocol/dns/wire/rdata.js';
import type { Question, ResourceRecord } from '../../../../protocol/dns/wire/record.js';

/**
 * `lookup` against a brute-force reference: every question answered by scanning the record
 * list (no maps, no cut/existence index), straight from RFC 1034 §4.3.2 and RFC 4592.
 */
const APEX = Name.parse('z.');
const DS = 43;

const nameArb = (minDepth: number, maxDepth: number): fc.Arbitrary<Name> =>
  fc
    .array(fc.constantFrom('a', 'A', 'b', '*'), { minLength: minDepth, maxLength: maxDepth })
    .map((labels) => Name.fromLabels([...labels, 'z']));

const targetArb = fc.oneof(nameArb(0, 3), fc.constant(Name.parse('o.')));

const recordArb: fc.Arbitrary<ResourceRecord> = fc
  .tuple(
    nameArb(1, 3),
    fc.oneof(
      fc.constantFrom('192.0.2.1', '192.0.2.2').map((address): Rdata => ({ kind: 'A', address })),
      fc.constant<Rdata>({ kind: 'TXT', strings: [Uint8Array.of(0x78)] }),
      targetArb.map((target): Rdata => ({ kind: 'CNAME', target })),
      targetArb.map((target): Rdata => ({ kind: 'NS', target })),
    ),
  )
  .map(([name, rdata]) => ({ name, type: RR_TYPE[rdata.kind as 'A'], class: RR_CLASS.IN, ttl: 60, rdata }));

const BASE: ResourceRecord[] = [
  {
    name: APEX,
    type: RR_TYPE.SOA,
    class: RR_CLASS.IN,
    ttl: 60,
    rdata: {
      kind: 'SOA',
      mname: Name.parse('ns.z.'),
      rname: Name.parse('h.z.'),
      serial: 1,
      refresh: 1,
      retry: 1,
      expire: 1,
      minimum: 30,
    },
  },
  {
    name: APEX,
    type: RR_TYPE.NS,
    class: RR_CLASS.IN,
    ttl: 60,
    rdata: { kind: 'NS', target: Name.parse('ns.z.') },
  },
];

/** Drops the records at every owner named in an error until the zone builds. */
function sanitize(extra: readonly ResourceRecord[]): { zone: Zone; records: ResourceRecord[] } {
  let records = [...BASE, ...extra];
  for (;;) {
    const built = buildZone(APEX, records);
    if (built.ok) return { zone: built.zone, records };
    const bad = new Set<string>();
    for (const e of built.errors) if ('owner' in e) bad.add(e.owner.key);
    if (bad.size === 0) expect.fail(JSON.stringify(built.errors));
    records = records.filter((r) => r.name.equals(APEX) || !bad.has(r.name.key));
  }
}

type RefStep =
  | { kind: 'referral'; cut: string }
  | { kind: 'nxdomain' | 'nodata' }
  | { kind: 'answer'; rrs: ResourceRecord[] }
  | { kind: 'cname'; rr: ResourceRecord };

function refStep(records: readonly ResourceRecord[], name: Name, type: number): RefStep {
  const cuts = records
    .filter((r) => r.type === RR_TYPE.NS && !r.name.equals(APEX) && name.isSubdomainOf(r.name))
    .sort((x, y) => x.name.labelCount - y.name.labelCount);
  const cut = cuts[0];
  if (cut !== undefined && !(cut.name.equals(name) && type === DS))
    return { kind: 'referral', cut: cut.name.key };
  const exists = (n: Name) => records.some((r) => r.name.isSubdomainOf(n));
  let source = name;
  if (!exists(name)) {
    let encloser = name;
    while (!exists(encloser)) encloser = encloser.parent() as Name;
    source = encloser.child('*');
    if (!exists(source)) return { kind: 'nxdomain' };
  }
  const here = records.filter((r) => r.name.equals(source));
  if (here.length === 0) return { kind: 'nodata' };
  const synth = (r: ResourceRecord): ResourceRecord => ({ ...r, name });
  if (type === RR_TYPE.ANY) return { kind: 'answer', rrs: here.map(synth) };
  const exact = here.filter((r) => r.type === type);
  if (exact.length > 0) return { kind: 'answer', rrs: exact.map(synth) };
  const cname = here.find((r) => r.type === RR_TYPE.CNAME);
  if (cname !== undefined) return { kind: 'cname', rr: synth(cname) };
  return { kind: 'nodata' };
}

function reference(
  records: readonly ResourceRecord[],
  question: Question,
): { kind: string; answers: string[] } {
  if (!question.name.isSubdomainOf(APEX)) return { kind: 'refused', answers: [] };
  const answers: ResourceRecord[] = [];
  const seen: string[] = [];
  let name = question.name;
  for (;;) {
    seen.push(name.key);
    const step = refStep(records, name, question.type);
    if (step.kind === 'answer') return { kind: 'answer', answers: norm([...answers, ...step.rrs]) };
    if (step.kind !== 'cname') return { kind: step.kind, answers: norm(answers) };
    answers.push(step.rr);
    const target = (step.rr.rdata as { target: Name }).target;
    if (!target.isSubdomainOf(APEX) || seen.includes(target.key) || seen.length >= MAX_CNAME_CHAIN)
      return { kind: 'answer', answers: norm(answers) };
    name = target;
  }
}

function norm(rrs: readonly ResourceRecord[]): string[] {
  // A set: the zone merges duplicate records (RFC 2181 §5), the raw list does not.
  return [...new Set(rrs.map((r) => `${r.name.key} ${r.type} ${rdataToText(r.rdata).toLowerCase()}`))].sort();
}

function actual(result: LookupResult): { kind: string; answers: string[] } {
  return { kind: result.kind, answers: result.kind === 'refused' ? [] : norm(result.answers) };
}

describe('dns/zone/lookup: property against a brute-force model', () => {
  it('agrees on kind and answers for random zones and questions', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 12 }),
        fc.array(
          fc.tuple(
            fc.oneof(nameArb(0, 4), fc.constant(Name.parse('o.'))),
            fc.constantFrom(RR_TYPE.A, RR_TYPE.TXT, RR_TYPE.CNAME, RR_TYPE.NS, RR_TYPE.ANY, RR_TYPE.MX, DS),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        (extra, questions) => {
          const { zone, records } = sanitize(extra);
          for (const [name, type] of questions) {
            const question = { name, type, class: RR_CLASS.IN };
            const got = lookup([zone], question);
            expect(actual(got), `${name} ${type}`).to.deep.equal(reference(records, question));
            if (got.kind === 'referral') {
              const step = refStep(records, name, type);
              expect(step.kind === 'referral' || got.answers.length > 0).to.equal(true);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
