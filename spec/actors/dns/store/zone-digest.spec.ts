import { expect } from 'chai';
import fc from 'fast-check';
import { DnsStore } from '../../../../actors/dns/store/dns-store.js';
import { decodeDnsStore, encodeDnsStore } from '../../../../actors/dns/store/store-codec.js';
import { leafOf } from '../../../../actors/dns/store/zone-digest.js';
import type { DnsChange } from '../../../../protocol/dns/changes.js';
import {
  DIGEST_DEPTH,
  DIGEST_LEAVES,
  digestChildren,
  repairChanges,
  type SyncOwner,
} from '../../../../protocol/dns/region-repair.js';
import type { RecordVersion } from '../../../../protocol/dns/version.js';
import { Name } from '../../../../protocol/dns/wire/name.js';

/**
 * The digest tree of anti-entropy between regions, in the deterministic core: equal
 * versions give equal digests whatever the path to them, and any single differing RRset,
 * RRset tombstone or name tombstone is found by walking the tree and carried over by
 * `repairChanges`, after which the digests agree.
 */

const ZONE = 'example.org.';
const SEED = Number(process.env.DIGEST_SEED ?? Date.now() % 2 ** 31);

const createZone: DnsChange = {
  op: 'create-zone',
  zone: ZONE,
  soa: {
    mname: `ns1.${ZONE}`,
    rname: `admin.${ZONE}`,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 60,
    ttl: 3600,
  },
  ns: [`ns1.${ZONE}`],
  nsTtl: 3600,
};
const v = (hlcMs: number, counter = 0, writer = 'w'): RecordVersion => ({ hlcMs, counter, writer });

function storeWithZone(): DnsStore {
  const store = new DnsStore();
  expect(store.applyBatch({ changes: [createZone] }).ok).to.equal(true);
  return store;
}

function apply(store: DnsStore, changes: readonly DnsChange[]): void {
  const result = store.applyBatch({ changes });
  expect(result.ok, JSON.stringify(result)).to.equal(true);
}

const root = (store: DnsStore): string | undefined =>
  store.digestRoots().find((z) => z.zone === ZONE)?.digest;

/** The differing leaves of two stores' trees, walking down as the driver does. */
function differingLeaves(a: DnsStore, b: DnsStore): number[] {
  let differing = [0];
  for (let depth = 1; depth <= DIGEST_DEPTH; depth++) {
    const nodes = differing.flatMap(digestChildren);
    const ours = a.digestNodes(ZONE, depth, nodes) as string[];
    const theirs = b.digestNodes(ZONE, depth, nodes) as string[];
    differing = nodes.filter((_, i) => ours[i] !== theirs[i]);
  }
  return differing;
}

function ownersOf(store: DnsStore, leaves: readonly number[], bytesMax = 1024): SyncOwner[] {
  const owners: SyncOwner[] = [];
  let after: Parameters<DnsStore['syncOwners']>[2];
  for (;;) {
    const page = store.syncOwners(ZONE, leaves, after, bytesMax);
    if (page === null) throw new Error('no zone');
    owners.push(...page.owners);
    if (page.next === null) return owners;
    after = page.next;
  }
}

/** Takes into `into` what is newer in `from`, as the driver does; returns the changes applied. */
function repair(into: DnsStore, from: DnsStore): number {
  const leaves = differingLeaves(into, from);
  let applied = 0;
  for (const changes of repairChanges(ZONE, ownersOf(into, leaves), ownersOf(from, leaves))) {
    apply(into, changes);
    applied += changes.length;
  }
  return applied;
}

// Valid on their own: no CNAME, no NS, names below the apex, one version per change.
const NAMES = ['a', 'b', 'c.a', '*.b', 'd', 'e.d', 'f'];
const changeArb = fc
  .tuple(
    fc.constantFrom('upsert', 'upsert', 'upsert', 'delete-rrset', 'delete-name'),
    fc.constantFrom(...NAMES),
    fc.constantFrom('A', 'TXT', 'MX'),
    fc.integer({ min: 0, max: 3 }),
    fc.constantFrom(60, 300),
  )
  .map(([op, name, type, pick, ttl]) => ({ op, name, type, pick, ttl }));
const changesArb = fc
  .array(fc.tuple(changeArb, fc.integer({ min: 1, max: 20 }), fc.constantFrom('w1', 'w2', 'update-x')), {
    minLength: 1,
    maxLength: 40,
  })
  .map((items) =>
    items.map(([c, ms, writer], i): DnsChange => {
      const version = v(ms, i, writer);
      if (c.op === 'delete-name') return { op: 'delete-name', zone: ZONE, name: c.name, version };
      if (c.op === 'delete-rrset')
        return { op: 'delete-rrset', zone: ZONE, name: c.name, type: c.type, version };
      const rdata = {
        A: [`192.0.2.${c.pick}`, '192.0.2.200'].slice(0, 1 + (c.pick % 2)),
        TXT: [`"t${c.pick}"`],
        MX: [`${c.pick} mx.example.org.`],
      }[c.type] as string[];
      return { op: 'upsert', zone: ZONE, name: c.name, type: c.type, ttl: c.ttl, rdata, version };
    }),
  );

describe(`dns/store/zone-digest: the digest tree of anti-entropy (seed ${SEED})`, () => {
  it('property: the same changes in any order and batching give the same digests, incremental or rebuilt', () => {
    fc.assert(
      fc.property(
        changesArb.chain((changes) =>
          fc.tuple(fc.constant(changes), fc.shuffledSubarray(changes, { minLength: changes.length })),
        ),
        ([changes, shuffled]) => {
          const one = storeWithZone();
          const two = storeWithZone();
          const three = storeWithZone();
          // `one` keeps its tree current batch by batch (a digest read after each batch).
          for (const c of changes) {
            apply(one, [c]);
            root(one);
          }
          for (const c of shuffled) apply(two, [c]);
          apply(three, shuffled);
          const decoded = decodeDnsStore(encodeDnsStore(one));
          if (!decoded.ok) throw new Error(decoded.message);
          // Serials differ (one batch per change, or one in all): the digests do not.
          if (changes.length > 1) expect(one.zones()[0]?.serial).to.not.equal(three.zones()[0]?.serial);
          const roots = [one, two, three, decoded.store].map(root);
          expect(new Set(roots).size, JSON.stringify(roots)).to.equal(1);
          for (const depth of [1, 2]) {
            const nodes = Array.from({ length: 16 ** depth }, (_, i) => i);
            expect(two.digestNodes(ZONE, depth, nodes)).to.deep.equal(one.digestNodes(ZONE, depth, nodes));
          }
          const all = Array.from({ length: 256 }, (_, i) => i);
          const leavesOf = (s: DnsStore) =>
            Array.from({ length: DIGEST_LEAVES / 256 }, (_, k) =>
              ownersOf(
                s,
                all.map((i) => i + k * 256),
              ),
            ).flat();
          expect(leavesOf(two)).to.deep.equal(leavesOf(one));
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('property: one differing RRset, RRset tombstone or name tombstone is found in one leaf and carried over', () => {
    fc.assert(
      fc.property(changesArb, changeArb, fc.integer({ min: 21, max: 40 }), (base, extra, ms) => {
        const here = storeWithZone();
        const there = storeWithZone();
        apply(here, base);
        apply(there, base);
        expect(root(here)).to.equal(root(there));
        // One change newer than every base version, applied in one region only.
        const version = v(ms, 0, 'late');
        const change: DnsChange =
          extra.op === 'delete-name'
            ? { op: 'delete-name', zone: ZONE, name: extra.name, version }
            : extra.op === 'delete-rrset'
              ? { op: 'delete-rrset', zone: ZONE, name: extra.name, type: extra.type, version }
              : {
                  op: 'upsert',
                  zone: ZONE,
                  name: extra.name,
                  type: extra.type,
                  ttl: 120,
                  rdata: ['192.0.2.77'],
                  version,
                };
        if (change.op === 'upsert' && change.type !== 'A') return; // keep the RDATA valid for its type
        apply(there, [change]);
        expect(root(here)).to.not.equal(root(there));
        const leaves = differingLeaves(here, there);
        expect(leaves).to.deep.equal([leafOf(Name.parse(`${extra.name}.${ZONE}`).key)]);
        expect(repair(here, there)).to.be.greaterThan(0);
        expect(root(here)).to.equal(root(there));
        // Nothing newer is left on either side: a second round changes nothing.
        expect(repair(here, there)).to.equal(0);
        expect(repair(there, here)).to.equal(0);
      }),
      { seed: SEED + 1, numRuns: 200 },
    );
  });

  it('property: two regions that each missed different batches converge by repairing each other', () => {
    fc.assert(
      fc.property(changesArb, fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (changes, sides) => {
        const a = storeWithZone();
        const b = storeWithZone();
        changes.forEach((c, i) => {
          apply(sides[i] === true ? a : b, [c]);
        });
        repair(a, b);
        repair(b, a);
        expect(root(a)).to.equal(root(b));
        const everything = storeWithZone();
        apply(everything, changes);
        expect(root(a)).to.equal(root(everything));
      }),
      { seed: SEED + 2, numRuns: 150 },
    );
  });

  it('leaves out what each region writes for itself and the SOA serial', () => {
    const here = storeWithZone();
    const there = storeWithZone();
    const base = root(here);
    // A delegation reconciler's nameserver address, in one region only.
    apply(there, [
      {
        op: 'upsert',
        zone: ZONE,
        name: 'ns-i1',
        type: 'A',
        ttl: 300,
        rdata: ['192.0.2.9'],
        version: v(5, 0, 'delegation-i1'),
      },
    ]);
    // A batch of superseded changes: the serial moves, nothing else.
    apply(here, [
      {
        op: 'upsert',
        zone: ZONE,
        name: '@',
        type: 'NS',
        ttl: 3600,
        rdata: ['ns1.example.org.'],
        version: v(5, 0, 'zones-g-r1'),
      },
    ]);
    expect(here.zones()[0]?.serial).to.equal(2);
    expect(root(here)).to.equal(base);
    expect(root(there)).to.equal(base);
    // An admin's write of the SOA is compared, its serial is not.
    const soa = {
      op: 'upsert' as const,
      zone: ZONE,
      name: '@',
      type: 'SOA',
      ttl: 3600,
      rdata: ['ns1.example.org. admin.example.org. 7 3600 600 86400 60'],
      version: v(6),
    };
    apply(here, [soa]);
    apply(there, [soa]);
    apply(there, [
      { op: 'upsert', zone: ZONE, name: 'x', type: 'A', ttl: 60, rdata: ['192.0.2.1'], version: v(7) },
    ]);
    apply(there, [{ op: 'delete-rrset', zone: ZONE, name: 'x', type: 'A', version: v(8) }]);
    // `there` holds a tombstone of x A: the regions differ until `here` has it.
    expect(here.zones()[0]?.serial).to.not.equal(there.zones()[0]?.serial);
    expect(root(here)).to.not.equal(root(there));
    expect(repair(here, there)).to.equal(1);
    expect(here.rrsets(ZONE, 'x')?.deleted).to.deep.equal([{ type: 'A', version: v(8) }]);
    expect(root(here)).to.equal(root(there));
  });

  it('refuses nodes and leaves outside the tree, and unknown zones', () => {
    const store = storeWithZone();
    expect(store.digestNodes(ZONE, 1, [16])).to.equal(null);
    expect(store.digestNodes(ZONE, DIGEST_DEPTH + 1, [0])).to.equal(null);
    expect(store.digestNodes('nope.', 0, [0])).to.equal(null);
    expect(store.syncOwners(ZONE, [DIGEST_LEAVES], undefined, 1024)).to.equal(null);
    expect(store.syncOwners('not a name..', [0], undefined, 1024)).to.equal(null);
  });
});
