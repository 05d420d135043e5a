import { expect } from 'chai';
import fc from 'fast-check';
import { DnsStore } from '../../../../actors/dns/store/dns-store.js';
import {
  decodeDnsStore,
  encodeDnsStore,
  writeStoredZones,
} from '../../../../actors/dns/store/store-codec.js';
import { encodeZoneDeltas, forEachZoneDelta } from '../../../../actors/dns/store/zone-delta-codec.js';
import { ZoneReplica } from '../../../../actors/dns/store/zone-replica.js';
import type { ZoneView } from '../../../../actors/dns/zone/zone-view.js';
import { ByteWriter } from '../../../../protocol/binary.js';
import type { DnsBatch, DnsChange } from '../../../../protocol/dns/changes.js';
import { compareVersions, HybridClock, type RecordVersion } from '../../../../protocol/dns/version.js';
import { RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { sameLookups } from '../zone/lookup-compare.js';

const ZONE = 'example.org.';
const createZone = (zone = ZONE, serial?: number): DnsChange => ({
  op: 'create-zone',
  zone,
  soa: {
    mname: `ns1.${zone}`,
    rname: `admin.${zone}`,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 60,
    ttl: 3600,
    ...(serial === undefined ? {} : { serial }),
  },
  ns: [`ns1.${zone}`],
  nsTtl: 3600,
});
const v = (hlcMs: number, counter = 0, writer = 'w'): RecordVersion => ({ hlcMs, counter, writer });
const upsert = (
  name: string,
  type: string,
  rdata: string[],
  version: RecordVersion,
  ttl = 300,
  zone = ZONE,
): DnsChange => ({
  op: 'upsert',
  zone,
  name,
  type,
  ttl,
  rdata,
  version,
});

function storeWithZone(): DnsStore {
  const store = new DnsStore();
  const created = store.applyBatch({ changes: [createZone()] });
  expect(created).to.deep.equal({ ok: true, serials: { [ZONE]: 1 }, outcomes: ['applied'] });
  return store;
}

function errorCode(store: DnsStore, batch: unknown): string {
  const result = store.applyBatch(batch);
  if (result.ok) expect.fail('the batch should be refused');
  return result.error.code;
}

describe('dns/store/dns-store: two writes of one RRset with the same version', () => {
  const same = v(7, 0, 'reused-writer');
  const pairs: ReadonlyArray<readonly [string, DnsChange, DnsChange]> = [
    ['different RDATA', upsert('www', 'A', ['192.0.2.1'], same), upsert('www', 'A', ['192.0.2.2'], same)],
    [
      'different TTL',
      upsert('www', 'A', ['192.0.2.1'], same, 60),
      upsert('www', 'A', ['192.0.2.1'], same, 600),
    ],
    [
      'data and a deletion',
      upsert('www', 'TXT', ['"x"'], same),
      { op: 'delete-rrset', zone: ZONE, name: 'www', type: 'TXT', version: same },
    ],
    [
      'RDATA spelled differently, the same content',
      upsert('www', 'AAAA', ['2001:db8::1'], same),
      upsert('www', 'AAAA', ['2001:DB8:0::1'], same),
    ],
  ];
  for (const [what, first, second] of pairs)
    it(`end with the same RRset and digest whichever arrives first (${what})`, () => {
      const stores = [
        [first, second],
        [second, first],
      ].map((order) => {
        const store = storeWithZone();
        for (const change of order) {
          const result = store.applyBatch({ changes: [change] });
          expect(result.ok, JSON.stringify(result)).to.equal(true);
        }
        return store;
      });
      const [a, b] = stores as [DnsStore, DnsStore];
      expect(a.rrsets(ZONE, 'www')).to.deep.equal(b.rrsets(ZONE, 'www'));
      expect(a.digestRoots()).to.deep.equal(b.digestRoots());
    });

  it('the greater content wins the tie (protocol/dns/write-order.ts), data over a deletion, and a name tombstone still subsumes it', () => {
    const store = storeWithZone();
    const outcomes = (change: DnsChange) => {
      const result = store.applyBatch({ changes: [change] });
      return result.ok ? result.outcomes : result.error.code;
    };
    expect(outcomes(upsert('www', 'A', ['192.0.2.2'], same))).to.deep.equal(['applied']);
    expect(outcomes(upsert('www', 'A', ['192.0.2.1'], same))).to.deep.equal(['superseded']);
    expect(outcomes({ op: 'delete-rrset', zone: ZONE, name: 'www', type: 'A', version: same })).to.deep.equal(
      ['superseded'],
    );
    // The same write again changes nothing.
    expect(outcomes(upsert('www', 'A', ['192.0.2.2'], same))).to.deep.equal(['superseded']);
    expect(outcomes(upsert('www', 'A', ['192.0.2.3'], same))).to.deep.equal(['applied']);
    expect(store.rrsets(ZONE, 'www')?.rrsets.map((r) => r.rdata)).to.deep.equal([['192.0.2.3']]);
    // A name tombstone of that version still removes it, and a tie with it still loses.
    expect(outcomes({ op: 'delete-name', zone: ZONE, name: 'www', version: same })).to.deep.equal([
      'applied',
    ]);
    expect(outcomes(upsert('www', 'A', ['192.0.2.9'], same))).to.deep.equal(['superseded']);
    expect(store.rrsets(ZONE, 'www')?.rrsets ?? []).to.deep.equal([]);
  });
});

describe('dns/store/dns-store: batches', () => {
  it('applies upserts, bumps the serial once per zone per batch, and reads back in presentation form', () => {
    const store = storeWithZone();
    const r = store.applyBatch({
      changes: [
        upsert('www', 'A', ['192.0.2.1', '192.0.2.2', '192.0.2.1'], v(1)),
        upsert('mail.example.org.', 'MX', ['10 mx'], v(2)),
      ],
    });
    expect(r).to.deep.equal({ ok: true, serials: { [ZONE]: 2 }, outcomes: ['applied', 'applied'] });
    const view = store.rrsets(ZONE, 'www');
    expect(view?.rrsets).to.deep.equal([
      { name: 'www.example.org.', type: 'A', ttl: 300, rdata: ['192.0.2.1', '192.0.2.2'], version: v(1) },
    ]);
    expect(store.rrsets(ZONE, 'mail')?.rrsets[0]?.rdata).to.deep.equal(['10 mx.example.org.']);
    expect(store.zones()).to.deep.equal([{ zone: ZONE, serial: 2, rrsets: 4 }]);
    // The SOA's serial is the store's, whatever the admin writes.
    store.applyBatch({ changes: [upsert('@', 'SOA', ['ns2 admin 999 1 2 3 4'], v(3), 600)] });
    expect(store.rrsets(ZONE, '@')?.rrsets.find((s) => s.type === 'SOA')?.rdata).to.deep.equal([
      'ns2.example.org. admin.example.org. 3 1 2 3 4',
    ]);
  });

  it('serials wrap modulo 2^32 (RFC 1982) and count superseded-only batches', () => {
    const store = new DnsStore();
    store.applyBatch({ changes: [createZone(ZONE, 0xffffffff)] });
    store.applyBatch({ changes: [upsert('a', 'A', ['192.0.2.1'], v(5))] });
    const r = store.applyBatch({ changes: [upsert('a', 'A', ['192.0.2.9'], v(4))] });
    expect(r).to.deep.equal({ ok: true, serials: { [ZONE]: 1 }, outcomes: ['superseded'] });
    expect(store.rrsets(ZONE, 'a')?.rrsets[0]?.rdata).to.deep.equal(['192.0.2.1']);
  });

  it('refuses invalid zone data as a whole, undoing every change', () => {
    const store = storeWithZone();
    store.applyBatch({ changes: [upsert('www', 'A', ['192.0.2.1'], v(1))] });
    const before = encodeDnsStore(store);
    store.takeDeltas();
    const r = store.applyBatch({
      changes: [upsert('other', 'A', ['192.0.2.8'], v(2)), upsert('www', 'CNAME', ['x'], v(3))],
    });
    expect(r.ok).to.equal(false);
    if (!r.ok && r.error.code === 'invalid-zone-data')
      expect(r.error.problems[0]).to.match(/CNAME at www.example.org. with other data/);
    else expect.fail(JSON.stringify(r));
    expect(encodeDnsStore(store)).to.deep.equal(before);
    expect(store.takeDeltas()).to.deep.equal([]);
    expect(
      errorCode(store, {
        changes: [{ op: 'delete-rrset', zone: ZONE, name: '@', type: 'NS', version: v(9) }],
      }),
    ).to.equal('invalid-zone-data');
    expect(
      errorCode(store, {
        changes: [upsert('sub', 'NS', ['ns.other.'], v(9)), upsert('x.sub', 'TXT', ['"t"'], v(9))],
      }),
    ).to.equal('invalid-zone-data');
    expect(errorCode(store, { changes: [upsert('*', 'NS', ['ns.other.'], v(9))] })).to.equal(
      'invalid-zone-data',
    );
    expect(encodeDnsStore(store)).to.deep.equal(before);
    // Glue below a cut is fine.
    expect(
      store.applyBatch({
        changes: [upsert('sub', 'NS', ['ns.sub'], v(9)), upsert('ns.sub', 'A', ['192.0.2.53'], v(9))],
      }).ok,
    ).to.equal(true);
  });

  it('checks prerequisites before any change', () => {
    const store = storeWithZone();
    store.applyBatch({ changes: [upsert('www', 'A', ['192.0.2.1'], v(1))] });
    const change = upsert('new', 'A', ['192.0.2.2'], v(2));
    const prereq = (p: object) => ({ changes: [change], prerequisites: [{ zone: ZONE, name: 'www', ...p }] });
    expect(errorCode(store, prereq({ kind: 'name-absent' }))).to.equal('prerequisite-failed');
    expect(errorCode(store, prereq({ kind: 'rrset-exists', type: 'AAAA' }))).to.equal('prerequisite-failed');
    expect(errorCode(store, prereq({ kind: 'rrset-equals', type: 'A', rdata: ['192.0.2.9'] }))).to.equal(
      'prerequisite-failed',
    );
    expect(store.rrsets(ZONE, 'new')?.rrsets).to.deep.equal([]);
    expect(store.applyBatch(prereq({ kind: 'rrset-equals', type: 'A', rdata: ['192.0.2.1'] })).ok).to.equal(
      true,
    );
    expect(store.applyBatch(prereq({ kind: 'name-exists' })).ok).to.equal(true);
  });

  it('refuses bad syntax with a typed error naming the change', () => {
    const store = storeWithZone();
    expect(errorCode(store, { changes: [] })).to.equal('empty-batch');
    expect(errorCode(store, { changes: Array(257).fill(upsert('a', 'A', ['192.0.2.1'], v(1))) })).to.equal(
      'too-many-changes',
    );
    expect(errorCode(store, { changes: [upsert('a', 'A', ['192.0.2.1', '300.0.0.1'], v(1))] })).to.equal(
      'bad-rdata',
    );
    const bad = store.applyBatch({
      changes: [upsert('a', 'A', ['192.0.2.1'], v(1)), upsert('a', 'MX', ['x'], v(1))],
    });
    if (bad.ok || bad.error.code !== 'bad-rdata') expect.fail(JSON.stringify(bad));
    expect(bad.error).to.include({ change: 1, record: 0 });
    expect(errorCode(store, { changes: [upsert('a', 'BOGUS', ['x'], v(1))] })).to.equal('bad-type');
    expect(errorCode(store, { changes: [upsert('a', 'ANY', ['x'], v(1))] })).to.equal('bad-type');
    expect(errorCode(store, { changes: [upsert('a', 'A', ['192.0.2.1'], v(1), 2 ** 31)] })).to.equal(
      'ttl-out-of-range',
    );
    expect(errorCode(store, { changes: [upsert('a.example.com.', 'A', ['192.0.2.1'], v(1))] })).to.equal(
      'outside-zone',
    );
    expect(
      errorCode(store, {
        changes: [{ op: 'upsert', zone: ZONE, name: 'a', type: 'A', ttl: 1, rdata: ['192.0.2.1'] }],
      }),
    ).to.equal('missing-version');
    expect(errorCode(store, { changes: [upsert('a', 'A', ['192.0.2.1'], v(1), 300, 'nope.')] })).to.equal(
      'no-such-zone',
    );
    expect(errorCode(store, { changes: [createZone()] })).to.equal('zone-exists');
    expect(errorCode(store, 'not a batch')).to.equal('malformed');
  });

  it('delete-name supersedes older upserts of any type at the name, not newer ones', () => {
    const store = storeWithZone();
    const r = store.applyBatch({
      changes: [
        upsert('n', 'A', ['192.0.2.1'], v(1)),
        upsert('n', 'TXT', ['"new"'], v(5)),
        { op: 'delete-name', zone: ZONE, name: 'n', version: v(3) },
        upsert('n', 'AAAA', ['2001:db8::1'], v(2)),
      ],
    });
    expect(r.ok && r.outcomes).to.deep.equal(['applied', 'applied', 'applied', 'superseded']);
    const view = store.rrsets(ZONE, 'n');
    expect(view?.rrsets.map((s) => s.type)).to.deep.equal(['TXT']);
    expect(view?.nameDeleted).to.deep.equal(v(3));
  });

  it('delete-rrset removes and tombstones its own type only: the other RRsets at the name stay', () => {
    // Versions are per (name, type); only delete-name carries a version for the whole name.
    const changes: DnsChange[] = [
      upsert('n', 'A', ['192.0.2.1'], v(1)),
      upsert('n', 'TXT', ['"x"'], v(2)),
      { op: 'delete-rrset', zone: ZONE, name: 'n', type: 'TXT', version: v(3) },
    ];
    for (const arrival of [changes.map((c) => [c]), [changes], changes.map((c) => [c]).reverse()]) {
      const store = storeWithZone();
      for (const batch of arrival) expect(store.applyBatch({ changes: batch }).ok).to.equal(true);
      const view = store.rrsets(ZONE, 'n');
      expect(view?.rrsets.map((s) => [s.type, s.rdata])).to.deep.equal([['A', ['192.0.2.1']]]);
      expect(view?.deleted).to.deep.equal([{ type: 'TXT', version: v(3) }]);
      expect(view?.nameDeleted).to.equal(null);
    }
  });

  it('a delete-name and an upsert with the very same version end alike in either order', () => {
    // Found by the replica property (seed 1523000140): the upsert survived its own version.
    const deleteName: DnsChange = { op: 'delete-name', zone: ZONE, name: 'c.a', version: v(16) };
    const first = storeWithZone();
    first.applyBatch({ changes: [upsert('c.a', 'A', ['192.0.2.0'], v(16))] });
    first.applyBatch({ changes: [deleteName] });
    const second = storeWithZone();
    second.applyBatch({ changes: [deleteName] });
    second.applyBatch({ changes: [upsert('c.a', 'A', ['192.0.2.0'], v(16))] });
    expect(first.rrsets(ZONE, 'c.a')?.rrsets).to.deep.equal([]);
    expect(first.rrsets(ZONE, 'c.a')).to.deep.equal(second.rrsets(ZONE, 'c.a'));
  });

  it('deleting a zone removes it; creating it again starts fresh', () => {
    const store = storeWithZone();
    store.applyBatch({ changes: [upsert('a', 'A', ['192.0.2.1'], v(9))] });
    expect(store.applyBatch({ changes: [{ op: 'delete-zone', zone: ZONE }, createZone()] }).ok).to.equal(
      true,
    );
    expect(store.rrsets(ZONE, 'a')?.rrsets).to.deep.equal([]);
    expect(store.applyBatch({ changes: [{ op: 'delete-zone', zone: ZONE }] }).ok).to.equal(true);
    expect(store.zones()).to.deep.equal([]);
  });
});

// ---------------------------------------------------------------------------------------
// Random changes that are each valid on their own: names below the apex, types that never
// conflict (no CNAME, no NS), each with a unique version.

const NAMES = ['a', 'b', 'c.a', '*.b', 'd'];
const changeArb: fc.Arbitrary<DnsChange> = fc
  .tuple(
    fc.constantFrom('upsert', 'upsert', 'upsert', 'delete-rrset', 'delete-name'),
    fc.constantFrom(...NAMES),
    fc.constantFrom('A', 'TXT', 'MX', 'TYPE65534'),
    fc.integer({ min: 0, max: 3 }),
    fc.constantFrom(60, 300),
  )
  .map(([op, name, type, pick, ttl]): DnsChange => {
    const version = v(0);
    if (op === 'delete-name') return { op, zone: ZONE, name, version };
    if (op === 'delete-rrset') return { op, zone: ZONE, name, type, version };
    const rdata = {
      A: [`192.0.2.${pick}`, '192.0.2.200'].slice(0, 1 + (pick % 2)),
      TXT: [`"t${pick}"`],
      MX: [`${pick} mx.example.org.`],
      TYPE65534: [`\\# 1 0${pick}`],
    }[type] as string[];
    return { op: 'upsert', zone: ZONE, name, type, ttl, rdata, version };
  });
const changesArb = fc
  .array(fc.tuple(changeArb, fc.integer({ min: 1, max: 20 }), fc.constantFrom('w1', 'w2')), {
    minLength: 1,
    maxLength: 30,
  })
  .map((items) => items.map(([c, ms, writer], i) => ({ ...c, version: v(ms, i, writer) }) as DnsChange));

function zonesOf(replica: ZoneReplica): ZoneView[] {
  return [...replica.zones()];
}

const QUESTION_NAMES = [
  'example.org.',
  'a.example.org.',
  'b.example.org.',
  'x.b.example.org.',
  'c.a.example.org.',
  'd.example.org.',
  'zz.example.org.',
].map((n) => Name.parse(n));
const QTYPES = [RR_TYPE.A, RR_TYPE.TXT, RR_TYPE.MX, RR_TYPE.SOA, RR_TYPE.NS, RR_TYPE.ANY, 65534];

describe('dns/store/dns-store: last writer wins, replicas, snapshots', () => {
  it('property: the same changes in any order (one per batch, or all in one) give the same state', () => {
    fc.assert(
      fc.property(
        changesArb.chain((changes) =>
          fc.tuple(fc.constant(changes), fc.shuffledSubarray(changes, { minLength: changes.length })),
        ),
        ([changes, shuffled]) => {
          const one = storeWithZone();
          const two = storeWithZone();
          const three = storeWithZone();
          for (const c of changes) expect(one.applyBatch({ changes: [c] }).ok).to.equal(true);
          for (const c of shuffled) expect(two.applyBatch({ changes: [c] }).ok).to.equal(true);
          expect(three.applyBatch({ changes: shuffled }).ok).to.equal(true);
          // Serials differ by batch count and the change histories by the path taken (each
          // records its own batches); compare the data: serials and histories aside, the
          // bytes are equal.
          const serialess = (s: DnsStore) =>
            s.exportZones().map((z) => ({
              ...z,
              serial: 0,
              history: [],
              owners: z.owners.map((o) => ({
                ...o,
                entries: o.entries.filter((e) => e.type !== RR_TYPE.SOA),
              })),
            }));
          const withoutHistory = (s: DnsStore) => {
            const writer = new ByteWriter(256);
            writeStoredZones(
              writer,
              s.exportZones().map((z) => ({ ...z, history: [] })),
            );
            return writer.finish();
          };
          expect(withoutHistory(one)).to.deep.equal(withoutHistory(two));
          expect(JSON.stringify(serialess(three), replacer)).to.equal(
            JSON.stringify(serialess(one), replacer),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: a replica fed takeDeltas equals one fed dumpDeltas equals the store; snapshots round-trip', () => {
    const batchArb = fc.oneof(
      changesArb.map((changes): DnsBatch => ({ changes: changes.slice(0, 5) })),
      fc.constant<DnsBatch>({ changes: [upsert('a', 'CNAME', ['b'], v(99, 0, 'z'))] }),
      fc.constant<DnsBatch>({ changes: [createZone('sub.example.org.')] }),
      fc.constant<DnsBatch>({ changes: [{ op: 'delete-zone', zone: 'sub.example.org.' }] }),
    );
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 15 }), (batches) => {
        const store = new DnsStore();
        const live = new ZoneReplica();
        store.applyBatch({ changes: [createZone()] });
        for (const batch of batches) {
          store.applyBatch(batch);
          live.apply(store.takeDeltas());
        }
        const dumped = new ZoneReplica();
        dumped.apply(store.dumpDeltas());
        expect(live.rejectedDeltas + dumped.rejectedDeltas).to.equal(0);
        expect(live.zoneCount).to.equal(store.zoneCount);
        expect(dumped.zoneCount).to.equal(store.zoneCount);
        for (const apex of ['example.org.', 'sub.example.org.']) {
          const name = Name.parse(apex);
          const own = store.zone(name);
          const a = live.find(name, RR_CLASS.IN);
          const b = dumped.find(name, RR_CLASS.IN);
          if (own === undefined) {
            expect(a?.apex.key).to.not.equal(name.key);
            continue;
          }
          if (a === undefined || b === undefined) expect.fail(`replica lacks ${apex}`);
          sameLookups(own, a, QUESTION_NAMES, QTYPES);
          sameLookups(own, b, QUESTION_NAMES, QTYPES);
        }
        expect(zonesOf(live).length).to.equal(store.zoneCount);
        const bytes = encodeDnsStore(store);
        const restored = decodeDnsStore(bytes);
        if (!restored.ok) expect.fail(restored.message);
        expect(encodeDnsStore(restored.store)).to.deep.equal(bytes);
      }),
      { numRuns: 100 },
    );
  });

  it('property: a dump in parts, encoded and applied in order to a copy built aside, equals the dump; a store that queued no deltas holds the same state', () => {
    const batchArb = fc.oneof(
      changesArb.map((changes): DnsBatch => ({ changes: changes.slice(0, 5) })),
      fc.constant<DnsBatch>({ changes: [createZone('sub.example.org.')] }),
      fc.constant<DnsBatch>({ changes: [createZone('other.example.')] }),
      fc.constant<DnsBatch>({ changes: [{ op: 'delete-zone', zone: 'sub.example.org.' }] }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(batchArb, fc.boolean()), { minLength: 1, maxLength: 15 }),
        fc.integer({ min: 1, max: 12 }),
        (batches, deltasPerPart) => {
          const store = new DnsStore();
          const quiet = new DnsStore();
          for (const s of [store, quiet]) s.applyBatch({ changes: [createZone()] });
          for (const [batch, queued] of batches) {
            store.applyBatch(batch);
            quiet.queueDeltas = queued;
            quiet.applyBatch(batch);
            if (!queued) expect(quiet.pendingDeltaCount).to.equal(0);
          }
          expect(encodeDnsStore(quiet)).to.deep.equal(encodeDnsStore(store));

          const whole = store.dumpDeltas();
          const parts = [...store.dumpDeltaParts(deltasPerPart)];
          expect(parts.flat()).to.deep.equal(whole);
          for (const part of parts.slice(0, -1)) expect(part.length).to.equal(deltasPerPart);

          const serving = new ZoneReplica();
          serving.apply(new DnsStore().dumpDeltas()); // an older copy, replaced whole
          serving.applyOne({ kind: 'zone', zone: 'stale.example.', present: true });
          const aside = new ZoneReplica();
          for (const part of parts)
            expect(forEachZoneDelta(encodeZoneDeltas(part), (delta) => aside.applyOne(delta))).to.equal(
              undefined,
            );
          const generation = serving.zoneSetGeneration;
          serving.replaceWith(aside);
          expect(serving.zoneSetGeneration).to.not.equal(generation);
          expect(aside.zoneCount).to.equal(0);
          const dumped = new ZoneReplica();
          dumped.apply(whole);
          expect(serving.rejectedDeltas + dumped.rejectedDeltas).to.equal(0);
          expect(serving.zoneCount).to.equal(store.zoneCount);
          for (const apex of ['example.org.', 'sub.example.org.', 'other.example.', 'stale.example.']) {
            const name = Name.parse(apex);
            const own = store.zone(name);
            const a = serving.zoneAt(name);
            if (own === undefined) {
              expect(a, apex).to.equal(undefined);
              continue;
            }
            const b = dumped.zoneAt(name);
            if (a === undefined || b === undefined) expect.fail(`replica lacks ${apex}`);
            sameLookups(own, a, QUESTION_NAMES, QTYPES);
            expect(serving.historyAt(name)).to.deep.equal(dumped.historyAt(name));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('fuzz: damaged snapshot bytes never throw, and what decodes re-encodes exactly', () => {
    const store = storeWithZone();
    store.applyBatch({
      changes: [
        upsert('www', 'A', ['192.0.2.1'], v(1)),
        { op: 'delete-rrset', zone: ZONE, name: 'x', type: 'TXT', version: v(2) },
      ],
    });
    const bytes = encodeDnsStore(store);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(bytes.length),
        (at, value, cut) => {
          const damaged = bytes.slice(0, Math.max(cut, at + 1));
          damaged[at] = value;
          const decoded = decodeDnsStore(damaged);
          if (decoded.ok) expect(encodeDnsStore(decoded.store)).to.deep.equal(damaged);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('dns/store/version: HybridClock', () => {
  it('gives strictly increasing versions, across a clock going back and observed versions', () => {
    let now = 100;
    const clock = new HybridClock('me', () => now);
    const seen: RecordVersion[] = [clock.next(), clock.next()];
    now = 50;
    seen.push(clock.next());
    clock.observe(v(500, 7, 'zz'));
    const after = clock.next();
    expect(compareVersions(after, v(500, 7, 'zz'))).to.equal(1);
    seen.push(after);
    now = 1000;
    seen.push(clock.next());
    for (let i = 1; i < seen.length; i++)
      expect(compareVersions(seen[i - 1] as RecordVersion, seen[i] as RecordVersion)).to.equal(-1);
  });
});

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (value instanceof Name) return value.toString();
  return value;
}
