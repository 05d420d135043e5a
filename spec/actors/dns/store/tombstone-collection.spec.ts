import { expect } from 'chai';
import { DnsStore } from '../../../../actors/dns/store/dns-store.js';
import { decodeDnsStore, encodeDnsStore } from '../../../../actors/dns/store/store-codec.js';
import type { DnsChange } from '../../../../protocol/dns/changes.js';
import { DIGEST_LEAVES, repairChanges, type SyncOwner } from '../../../../protocol/dns/region-repair.js';
import {
  collectibleTombstones,
  type Tombstone,
  tombstoneKey,
} from '../../../../protocol/dns/tombstone-collection.js';
import { compareVersions, type RecordVersion } from '../../../../protocol/dns/version.js';

/**
 * Tombstone collection between regions, in the deterministic core: three stores stand for
 * three regions, and the helpers below take the steps the composition takes
 * (runtime/composition/region-repair.ts) — a repair pass that does not take back old
 * tombstones where they change nothing, and a collection that drops a tombstone only when
 * every other region held it (or no data under it) at two consecutive observations. A
 * region that missed a delete must block its collection, and nothing may come back.
 */

const ZONE = 'example.org.';
const SEED = Number(process.env.TOMBSTONE_SEED ?? Date.now() % 2 ** 31);

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
const ALL_LEAVES = Array.from({ length: DIGEST_LEAVES }, (_, i) => i);

/** One region: its store and the tombstones its leader saw collectible at the last observation. */
interface Region {
  readonly name: string;
  readonly store: DnsStore;
  pending: Set<string>;
}

function region(name: string): Region {
  const store = new DnsStore();
  expect(store.applyBatch({ changes: [createZone] }).ok).to.equal(true);
  return { name, store, pending: new Set() };
}

function apply(store: DnsStore, changes: readonly DnsChange[]): void {
  const result = store.applyBatch({ changes });
  expect(result.ok, JSON.stringify(result)).to.equal(true);
}

function ownersOf(store: DnsStore, leaves: readonly number[]): SyncOwner[] {
  const owners: SyncOwner[] = [];
  let after: Parameters<DnsStore['syncOwners']>[2];
  for (;;) {
    const page = store.syncOwners(ZONE, leaves, after, 4096);
    if (page === null) throw new Error('no zone');
    owners.push(...page.owners);
    if (page.next === null) return owners;
    after = page.next;
  }
}

/** A repair pass of `into` against `from` (all leaves: the digest walk only narrows them). */
function repair(into: Region, from: Region, beforeMs: number): void {
  const batches = repairChanges(
    ZONE,
    ownersOf(into.store, ALL_LEAVES),
    ownersOf(from.store, ALL_LEAVES),
    beforeMs,
  );
  for (const changes of batches) apply(into.store, changes);
}

/**
 * One collection step of `at` against the `others`: scan, read the scanned leaves
 * everywhere, drop what was collectible at the previous observation too. Returns the
 * tombstones dropped.
 */
function collect(at: Region, others: readonly Region[], beforeMs: number): number {
  let dropped = 0;
  let fromLeaf: number | null = 0;
  const seen = new Set<string>();
  while (fromLeaf !== null) {
    const scan = at.store.tombstoneScan(ZONE, beforeMs, fromLeaf);
    if (scan === null) throw new Error('no zone');
    fromLeaf = scan.next;
    if (scan.leaves.length === 0) continue;
    const candidates = collectibleTombstones(
      ownersOf(at.store, scan.leaves),
      others.map((o) => ownersOf(o.store, scan.leaves)),
      beforeMs,
    );
    const ready: Tombstone[] = [];
    for (const t of candidates) {
      const key = tombstoneKey(ZONE, t);
      seen.add(key);
      if (at.pending.has(key)) ready.push(t);
    }
    if (ready.length > 0) {
      const result = at.store.collectTombstones({ zone: ZONE, tombstones: ready });
      expect(result.ok).to.equal(true);
      if (result.ok) dropped += result.outcomes.filter((o) => o === 'applied').length;
    }
  }
  at.pending = seen;
  return dropped;
}

/** Every region repairs from every other, then collects. */
function round(regions: readonly Region[], beforeMs: number): number {
  for (const into of regions) for (const from of regions) if (into !== from) repair(into, from, beforeMs);
  let dropped = 0;
  for (const at of regions)
    dropped += collect(
      at,
      regions.filter((o) => o !== at),
      beforeMs,
    );
  return dropped;
}

const tombstones = (r: Region): number => r.store.tombstoneCount(ZONE) as number;
const rootOf = (r: Region): string | undefined => r.store.digestRoots().find((z) => z.zone === ZONE)?.digest;
/** The data a region serves: each RRset with its version, tombstones left out. */
function dataOf(store: DnsStore): string[] {
  return ownersOf(store, ALL_LEAVES)
    .flatMap((o) =>
      o.entries
        .filter((e) => e.rdata !== undefined)
        .map(
          (e) =>
            `${o.name.toLowerCase()} ${e.type} ${e.ttl} ${e.rdata?.join(',')} ${JSON.stringify(e.version)}`,
        ),
    )
    .sort();
}

const upsertA = (name: string, version: RecordVersion, address = '192.0.2.1'): DnsChange => ({
  op: 'upsert',
  zone: ZONE,
  name,
  type: 'A',
  ttl: 60,
  rdata: [address],
  version,
});

describe(`protocol/dns/tombstone-collection: tombstones go once every region holds them (seed ${SEED})`, () => {
  it('the rule: another region with older data there blocks a tombstone; the same tombstone, an older one or nothing does not', () => {
    const home: SyncOwner[] = [
      { name: 'a.example.org.', nameVersion: null, entries: [{ type: 'A', version: v(20) }] },
      { name: 'b.example.org.', nameVersion: v(30), entries: [] },
    ];
    const same: SyncOwner[] = [...home];
    const nothing: SyncOwner[] = [];
    const olderTombstone: SyncOwner[] = [
      { name: 'a.example.org.', nameVersion: null, entries: [{ type: 'A', version: v(10) }] },
      { name: 'b.example.org.', nameVersion: v(5), entries: [{ type: 'TXT', version: v(4) }] },
    ];
    const olderData: SyncOwner[] = [
      {
        name: 'a.example.org.',
        nameVersion: null,
        entries: [{ type: 'A', version: v(10), ttl: 60, rdata: ['192.0.2.1'] }],
      },
      {
        name: 'B.example.org.',
        nameVersion: null,
        entries: [{ type: 'MX', version: v(29), ttl: 60, rdata: ['1 mx.'] }],
      },
    ];
    const newerDelete: SyncOwner[] = [
      { name: 'a.example.org.', nameVersion: v(21), entries: [] },
      { name: 'b.example.org.', nameVersion: v(31), entries: [] },
    ];
    const all: Tombstone[] = [
      { name: 'a.example.org.', type: 'A', version: v(20) },
      { name: 'b.example.org.', type: null, version: v(30) },
    ];
    expect(collectibleTombstones(home, [same, nothing, olderTombstone], 100)).to.deep.equal(all);
    expect(collectibleTombstones(home, [same, olderData], 100)).to.deep.equal([]);
    expect(collectibleTombstones(home, [newerDelete], 100)).to.deep.equal([]);
    // Younger than the horizon: never, whatever the others hold.
    expect(collectibleTombstones(home, [same], 25)).to.deep.equal([all[0]]);
    expect(collectibleTombstones(home, [same], 20)).to.deep.equal([]);
  });

  it('a region that has not seen a delete blocks its collection everywhere until it takes the delete', () => {
    const [a, b, c] = [region('a'), region('b'), region('c')] as [Region, Region, Region];
    for (const r of [a, b, c]) apply(r.store, [upsertA('x', v(10)), upsertA('y', v(11))]);
    // The deletes reach a and b; c was cut off.
    for (const r of [a, b])
      apply(r.store, [
        { op: 'delete-rrset', zone: ZONE, name: 'x', type: 'A', version: v(20) },
        { op: 'delete-name', zone: ZONE, name: 'y', version: v(21) },
      ]);
    for (let i = 0; i < 5; i++) {
      for (const at of [a, b])
        expect(
          collect(
            at,
            [a, b, c].filter((o) => o !== at),
            1_000,
          ),
        ).to.equal(0);
    }
    expect([tombstones(a), tombstones(b), tombstones(c)]).to.deep.equal([2, 2, 0]);
    // c heals: its repair takes the deletes, then two rounds collect them everywhere.
    repair(c, a, 1_000);
    expect(dataOf(c.store)).to.deep.equal(dataOf(a.store));
    expect(tombstones(c)).to.equal(2);
    round([a, b, c], 1_000);
    expect(round([a, b, c], 1_000)).to.equal(6);
    expect([tombstones(a), tombstones(b), tombstones(c)]).to.deep.equal([0, 0, 0]);
    expect(dataOf(a.store)).to.deep.equal([]);
    expect(new Set([a, b, c].map(rootOf)).size).to.equal(1);
  });

  it('after one region collected, repairs against regions still holding the tombstone neither take it back nor bring the data back', () => {
    const [a, b, c] = [region('a'), region('b'), region('c')] as [Region, Region, Region];
    for (const r of [a, b, c]) {
      apply(r.store, [upsertA('x', v(10))]);
      apply(r.store, [{ op: 'delete-rrset', zone: ZONE, name: 'x', type: 'A', version: v(20) }]);
    }
    // Only a collects (two observations), b and c still hold the tombstone.
    expect(collect(a, [b, c], 1_000)).to.equal(0);
    expect(collect(a, [b, c], 1_000)).to.equal(1);
    expect(tombstones(a)).to.equal(0);
    for (let i = 0; i < 3; i++) {
      repair(a, b, 1_000);
      repair(a, c, 1_000);
      repair(b, a, 1_000);
      repair(c, a, 1_000);
    }
    expect([tombstones(a), tombstones(b), tombstones(c)]).to.deep.equal([0, 1, 1]);
    expect(a.store.rrsets(ZONE, 'x')?.rrsets).to.deep.equal([]);
    // b and c count a as holding nothing there: they collect too, and the regions agree again.
    expect(rootOf(a)).to.not.equal(rootOf(b));
    round([a, b, c], 1_000);
    round([a, b, c], 1_000);
    expect([tombstones(a), tombstones(b), tombstones(c)]).to.deep.equal([0, 0, 0]);
    expect(new Set([a, b, c].map(rootOf)).size).to.equal(1);
    // Within the horizon (the cutoff below the tombstone's clock), a repair still takes a tombstone into nothing.
    const d = region('d');
    apply(b.store, [{ op: 'delete-rrset', zone: ZONE, name: 'z', type: 'TXT', version: v(50) }]);
    repair(d, b, 40);
    expect(tombstones(d)).to.equal(1);
  });

  it('collection only drops what is still there with the same version, keeps replicas equal, and survives a snapshot', () => {
    const one = region('one').store;
    const two = region('two').store;
    for (const s of [one, two]) {
      apply(s, [upsertA('x', v(10)), upsertA('y', v(11))]);
      apply(s, [
        { op: 'delete-rrset', zone: ZONE, name: 'x', type: 'A', version: v(20) },
        { op: 'delete-name', zone: ZONE, name: 'y', version: v(21) },
      ]);
      s.digestRoots();
    }
    const collection = {
      zone: ZONE,
      tombstones: [
        { name: 'x.example.org.', type: 'A', version: v(20) },
        { name: 'x.example.org.', type: 'A', version: v(19) },
        { name: 'Y.example.org.', type: null, version: v(21) },
        { name: 'y.example.org.', type: 'A', version: v(11) },
        { name: 'example.org.', type: 'SOA', version: v(0, 0, '') },
      ],
    };
    // A newer write on `two` between the scan and the command: its x is data again, kept.
    apply(two, [upsertA('x', v(25))]);
    const r1 = one.collectTombstones(collection);
    const r2 = two.collectTombstones(collection);
    expect(r1.ok && r1.outcomes).to.deep.equal([
      'applied',
      'superseded',
      'applied',
      'superseded',
      'superseded',
    ]);
    expect(r2.ok && r2.outcomes).to.deep.equal([
      'superseded',
      'superseded',
      'applied',
      'superseded',
      'superseded',
    ]);
    expect(one.tombstoneCount(ZONE)).to.equal(0);
    expect(one.rrsets(ZONE, 'y')).to.deep.include({ rrsets: [], deleted: [], nameDeleted: null });
    // The incremental digest equals one rebuilt from a snapshot of the same state.
    const restored = decodeDnsStore(encodeDnsStore(one));
    expect(restored.ok).to.equal(true);
    if (restored.ok) expect(restored.store.digestRoots()).to.deep.equal(one.digestRoots());
    expect(one.collectTombstones({ zone: 'nowhere.', tombstones: collection.tombstones }).ok).to.equal(false);
  });

  it(`randomized: writes reaching random regions, repairs and collections converge to the data of every write, every tombstone gone (seed ${SEED})`, () => {
    let state = SEED >>> 0 || 1;
    const random = (n: number): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const HORIZON = 8;
    const regions = [region('a'), region('b'), region('c')];
    const reference = region('all');
    const names = ['a', 'b', 'c', 'd.c', 'e'];
    let now = 100;
    // What each region has held, per RRset (`name type`) and per name (`name *`): versions
    // only grow, so holding a version below one held before is a resurrection.
    const held = regions.map(() => new Map<string, RecordVersion>());
    const neverBack = (step: number): void => {
      regions.forEach((r, i) => {
        const seen = held[i] as Map<string, RecordVersion>;
        for (const owner of ownersOf(r.store, ALL_LEAVES)) {
          const name = owner.name.toLowerCase();
          const check = (key: string, version: RecordVersion, strictlyAbove?: RecordVersion): void => {
            const before = seen.get(key);
            const ok =
              (before === undefined || compareVersions(version, before) >= 0) &&
              (strictlyAbove === undefined || compareVersions(version, strictlyAbove) > 0);
            expect(ok, `step ${step}: region ${r.name} went back at ${key}`).to.equal(true);
            if (before === undefined || compareVersions(version, before) > 0) seen.set(key, version);
          };
          if (owner.nameVersion !== null) check(`${name} *`, owner.nameVersion);
          for (const e of owner.entries) check(`${name} ${e.type}`, e.version, seen.get(`${name} *`));
        }
      });
    };
    // Each step is one thing a region does on its own: take a write, repair from one other
    // region, or run one collection step. The regions' passes interleave at random.
    for (let step = 0; step < 1_000; step++) {
      now++;
      const action = random(10);
      if (action < 4) {
        const name = names[random(names.length)] as string;
        const version = v(now, 0, `w${random(3)}`);
        const kind = random(6);
        const change: DnsChange =
          kind < 3
            ? upsertA(name, version, `192.0.2.${random(200)}`)
            : kind < 5
              ? { op: 'delete-rrset', zone: ZONE, name, type: kind === 3 ? 'A' : 'TXT', version }
              : { op: 'delete-name', zone: ZONE, name, version };
        apply(reference.store, [change]);
        // A write reaches a random non-empty subset of the regions.
        const mask = 1 + random(7);
        regions.forEach((r, i) => {
          if ((mask >> i) & 1) apply(r.store, [change]);
        });
      } else if (action < 7) {
        const into = regions[random(3)] as Region;
        const others = regions.filter((o) => o !== into);
        repair(into, others[random(2)] as Region, now - HORIZON);
      } else {
        const at = regions[random(3)] as Region;
        collect(
          at,
          regions.filter((o) => o !== at),
          now - HORIZON,
        );
      }
      neverBack(step);
    }
    for (let i = 0; i < 4; i++) round(regions, now + HORIZON);
    const expected = dataOf(reference.store);
    for (const r of regions) expect(dataOf(r.store), `region ${r.name}`).to.deep.equal(expected);
    expect(regions.map(tombstones)).to.deep.equal([0, 0, 0]);
    expect(new Set(regions.map(rootOf)).size).to.equal(1);
  });
});
