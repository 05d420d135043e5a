import { expect } from 'chai';
import fc from 'fast-check';
import { LiveZone } from '../../../../actors/dns/zone/live-zone.js';
import { buildZone } from '../../../../actors/dns/zone/zone.js';
import type { RRset } from '../../../../actors/dns/zone/zone-view.js';
import { RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import type { Rdata } from '../../../../protocol/dns/wire/rdata.js';
import type { ResourceRecord } from '../../../../protocol/dns/wire/record.js';
import { sameLookups } from './lookup-compare.js';

/**
 * LiveZone against Zone.build: random edit batches on both a LiveZone and a plain model
 * (owner → type → RRset); after each batch `check(touched)` must give the same verdict as
 * building the model's records, an invalid batch is undone on both, and while valid every
 * question gets the same lookup answer from both.
 */
const APEX = Name.parse('z.');
const LABELS = ['a', 'b', '*'];
const NAMES: Name[] = [APEX];
for (const x of LABELS) {
  NAMES.push(Name.fromLabels([x, 'z']));
  for (const y of LABELS) NAMES.push(Name.fromLabels([y, x, 'z']));
}
const QUESTION_NAMES = [
  ...NAMES,
  Name.parse('c.z.'),
  Name.parse('c.a.z.'),
  Name.parse('x.b.a.z.'),
  Name.parse('o.'),
];
const QTYPES = [RR_TYPE.A, RR_TYPE.TXT, RR_TYPE.CNAME, RR_TYPE.NS, RR_TYPE.SOA, RR_TYPE.MX, RR_TYPE.ANY, 43];

const SOA: Rdata = {
  kind: 'SOA',
  mname: Name.parse('ns.z.'),
  rname: Name.parse('h.z.'),
  serial: 1,
  refresh: 1,
  retry: 1,
  expire: 1,
  minimum: 30,
};

const targetArb = fc.constantFrom(...NAMES, Name.parse('o.'));
const rdataArb = (type: number): fc.Arbitrary<Rdata> => {
  switch (type) {
    case RR_TYPE.A:
      return fc.constantFrom('192.0.2.1', '192.0.2.2').map((address): Rdata => ({ kind: 'A', address }));
    case RR_TYPE.TXT:
      return fc
        .constantFrom('x', 'y')
        .map((t): Rdata => ({ kind: 'TXT', strings: [new TextEncoder().encode(t)] }));
    case RR_TYPE.CNAME:
      return targetArb.map((target): Rdata => ({ kind: 'CNAME', target }));
    case RR_TYPE.NS:
      return targetArb.map((target): Rdata => ({ kind: 'NS', target }));
    case RR_TYPE.MX:
      return targetArb.map((exchange): Rdata => ({ kind: 'MX', preference: 10, exchange }));
    default:
      return fc.constant(SOA);
  }
};

type Edit = { kind: 'set'; owner: Name; rrset: RRset } | { kind: 'delete'; owner: Name; type: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...NAMES),
      fc.constantFrom(RR_TYPE.A, RR_TYPE.TXT, RR_TYPE.CNAME, RR_TYPE.NS, RR_TYPE.MX, RR_TYPE.SOA),
    )
    .chain(([owner, type]) =>
      fc
        .tuple(fc.array(rdataArb(type), { minLength: 1, maxLength: 2 }), fc.constantFrom(60, 120))
        .map(([rdatas, ttl]): Edit => ({ kind: 'set', owner, rrset: { type, ttl, rdatas } })),
    ),
  fc
    .tuple(
      fc.constantFrom(...NAMES),
      fc.constantFrom(RR_TYPE.A, RR_TYPE.TXT, RR_TYPE.CNAME, RR_TYPE.NS, RR_TYPE.MX, RR_TYPE.SOA),
    )
    .map(([owner, type]): Edit => ({ kind: 'delete', owner, type })),
);

/** The model: owner key → (name, type → RRset), types kept in ascending order like LiveZone. */
class Model {
  readonly owners = new Map<string, { name: Name; sets: Map<number, RRset> }>();
  get(owner: Name, type: number): RRset | undefined {
    return this.owners.get(owner.key)?.sets.get(type);
  }
  set(owner: Name, type: number, rrset: RRset | undefined): void {
    let node = this.owners.get(owner.key);
    if (rrset === undefined) {
      node?.sets.delete(type);
      if (node?.sets.size === 0) this.owners.delete(owner.key);
      return;
    }
    if (node === undefined) {
      node = { name: owner, sets: new Map() };
      this.owners.set(owner.key, node);
    }
    node.sets.set(type, rrset);
    node.sets = new Map([...node.sets].sort((a, b) => a[0] - b[0]));
  }
  records(): ResourceRecord[] {
    const out: ResourceRecord[] = [];
    for (const { name, sets } of this.owners.values())
      for (const set of sets.values())
        for (const rdata of set.rdatas)
          out.push({ name, type: set.type, class: RR_CLASS.IN, ttl: set.ttl, rdata });
    return out;
  }
}

describe('dns/zone/live-zone: agrees with Zone.build', () => {
  it('property: random edit batches give the same verdict and, while valid, the same lookups', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(editArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }),
        (batches) => {
          const live = new LiveZone(APEX, RR_CLASS.IN);
          const model = new Model();
          const base: RRset[] = [
            { type: RR_TYPE.SOA, ttl: 60, rdatas: [SOA] },
            { type: RR_TYPE.NS, ttl: 60, rdatas: [{ kind: 'NS', target: Name.parse('ns.z.') }] },
          ];
          for (const set of base) {
            live.setRRset(APEX, set);
            model.set(APEX, set.type, set);
          }
          expect(live.checkAll()).to.deep.equal([]);
          let valid = 0;
          for (const batch of batches) {
            const undo: Array<[Name, number, RRset | undefined]> = [];
            const generation = live.generation;
            for (const edit of batch) {
              const type = edit.kind === 'set' ? edit.rrset.type : edit.type;
              undo.push([edit.owner, type, model.get(edit.owner, type)]);
              if (edit.kind === 'set') {
                live.setRRset(edit.owner, edit.rrset);
                model.set(edit.owner, type, live.rrset(edit.owner, type));
              } else {
                live.deleteRRset(edit.owner, edit.type);
                model.set(edit.owner, type, undefined);
              }
            }
            const errors = live.check(batch.map((e) => e.owner));
            const built = buildZone(APEX, model.records());
            expect(errors.length === 0, JSON.stringify(errors.map((e) => e.code))).to.equal(built.ok);
            if (!built.ok) {
              for (const [owner, type, set] of undo.reverse()) {
                if (set === undefined) live.deleteRRset(owner, type);
                else live.setRRset(owner, set);
                model.set(owner, type, set);
              }
              expect(live.checkAll()).to.deep.equal([]);
              continue;
            }
            valid++;
            expect(live.generation).to.be.greaterThan(generation - 1);
            sameLookups(live, built.zone, QUESTION_NAMES, QTYPES);
          }
          return valid >= 0;
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps empty non-terminals and cuts as RRsets come and go', () => {
    const live = new LiveZone(APEX, RR_CLASS.IN);
    live.setRRset(APEX, { type: RR_TYPE.SOA, ttl: 60, rdatas: [SOA] });
    live.setRRset(APEX, { type: RR_TYPE.NS, ttl: 60, rdatas: [{ kind: 'NS', target: Name.parse('ns.z.') }] });
    const deep = Name.parse('x.y.z.');
    live.setRRset(deep, { type: RR_TYPE.A, ttl: 60, rdatas: [{ kind: 'A', address: '192.0.2.1' }] });
    expect(live.exists(Name.parse('y.z.'))).to.equal(true);
    expect(live.node(Name.parse('y.z.'))).to.equal(undefined);
    live.setRRset(Name.parse('y.z.'), {
      type: RR_TYPE.NS,
      ttl: 60,
      rdatas: [{ kind: 'NS', target: Name.parse('ns.o.') }],
    });
    expect(live.isCut(Name.parse('y.z.'))).to.equal(true);
    // The A at x.y.z. is glue below the cut: allowed. A TXT there is occluded.
    expect(live.check([Name.parse('y.z.')])).to.deep.equal([]);
    live.setRRset(deep, {
      type: RR_TYPE.TXT,
      ttl: 60,
      rdatas: [{ kind: 'TXT', strings: [Uint8Array.of(1)] }],
    });
    expect(live.check([Name.parse('y.z.')]).map((e) => e.code)).to.deep.equal(['occluded-data']);
    live.deleteRRset(Name.parse('y.z.'), RR_TYPE.NS);
    expect(live.isCut(Name.parse('y.z.'))).to.equal(false);
    live.deleteNode(deep);
    expect(live.exists(Name.parse('y.z.'))).to.equal(false);
    expect(live.exists(APEX)).to.equal(true);
  });
});
