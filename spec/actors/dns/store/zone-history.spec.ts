import { expect } from 'chai';
import { DnsStore, type StoredZone } from '../../../../actors/dns/store/dns-store.js';
import { decodeDnsStore, encodeDnsStore } from '../../../../actors/dns/store/store-codec.js';
import {
  changesSince,
  type HistoryRecord,
  type ZoneChange,
  ZoneHistory,
  zoneChangeBytes,
} from '../../../../actors/dns/store/zone-history.js';
import { ZoneReplica } from '../../../../actors/dns/store/zone-replica.js';
import { decodeSnapshot, encodeSnapshot } from '../../../../actors/state-machine/snapshot-codec.js';
import type { DnsChange } from '../../../../protocol/dns/changes.js';
import type { RecordVersion } from '../../../../protocol/dns/version.js';
import { RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { decodeRdata, rdataToText } from '../../../../protocol/dns/wire/rdata.js';
import { ZONE_HISTORY_BYTES_MAX, ZONE_HISTORY_VERSIONS_MAX } from '../../../../protocol/limits.js';

const ZONE = 'example.org.';
const APEX = Name.parse(ZONE);
const v = (hlcMs: number): RecordVersion => ({ hlcMs, counter: 0, writer: 'w' });
const createZone = (serial = 1): DnsChange => ({
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
    serial,
  },
  ns: [`ns1.${ZONE}`],
  nsTtl: 3600,
});
const upsert = (
  name: string,
  type: string,
  rdata: string[],
  version: RecordVersion,
  ttl = 300,
): DnsChange => ({
  op: 'upsert',
  zone: ZONE,
  name,
  type,
  ttl,
  rdata,
  version,
});

/** A record as `owner TYPE ttl rdata` text, to compare without bytes. */
function text(record: HistoryRecord): string {
  const decoded = decodeRdata(record.type, record.rdata);
  if (!decoded.ok) expect.fail(`bad RDATA in ${record.owner}`);
  return `${record.owner} ${record.type} ${record.ttl} ${rdataToText(decoded.rdata)}`;
}

function serialOf(record: HistoryRecord): number {
  const decoded = decodeRdata(RR_TYPE.SOA, record.rdata);
  if (!decoded.ok || decoded.rdata.kind !== 'SOA') return expect.fail('not an SOA');
  return decoded.rdata.serial;
}

function store(serial = 1): DnsStore {
  const s = new DnsStore();
  expect(s.applyBatch({ changes: [createZone(serial)] }).ok).to.equal(true);
  return s;
}

function history(s: DnsStore): readonly ZoneChange[] {
  return (s.exportZones()[0] as StoredZone).history;
}

function apply(s: DnsStore, changes: DnsChange[]): void {
  const result = s.applyBatch({ changes });
  if (!result.ok) expect.fail(result.error.message);
}

describe('dns/store/zone-history: the replicated change history behind IXFR', () => {
  it('records per batch the records removed and added, and the SOA before and after', () => {
    const s = store();
    apply(s, [upsert('www', 'A', ['192.0.2.1', '192.0.2.2'], v(1))]);
    apply(s, [
      upsert('www', 'A', ['192.0.2.2', '192.0.2.3'], v(2)),
      upsert('mail', 'MX', ['10 mx.example.org.'], v(3)),
    ]);
    apply(s, [{ op: 'delete-rrset', zone: ZONE, name: 'mail', type: 'MX', version: v(4) }]);
    apply(s, [upsert('www', 'A', ['192.0.2.2', '192.0.2.3'], v(5), 60)]);
    const h = history(s);
    expect(h.map((c) => [c.serialFrom, c.serialTo, serialOf(c.soaFrom), serialOf(c.soaTo)])).to.deep.equal([
      [1, 2, 1, 2],
      [2, 3, 2, 3],
      [3, 4, 3, 4],
      [4, 5, 4, 5],
    ]);
    expect(h.map((c) => ({ removed: c.removed.map(text), added: c.added.map(text) }))).to.deep.equal([
      { removed: [], added: ['www.example.org. 1 300 192.0.2.1', 'www.example.org. 1 300 192.0.2.2'] },
      {
        removed: ['www.example.org. 1 300 192.0.2.1'],
        added: ['mail.example.org. 15 300 10 mx.example.org.', 'www.example.org. 1 300 192.0.2.3'],
      },
      { removed: ['mail.example.org. 15 300 10 mx.example.org.'], added: [] },
      // A new TTL replaces the whole RRset (RFC 2181 §5.2).
      {
        removed: ['www.example.org. 1 300 192.0.2.2', 'www.example.org. 1 300 192.0.2.3'],
        added: ['www.example.org. 1 60 192.0.2.2', 'www.example.org. 1 60 192.0.2.3'],
      },
    ]);
    expect(changesSince(h, 3, 5)?.map((c) => c.serialFrom)).to.deep.equal([3, 4]);
    expect(changesSince(h, 0, 5)).to.equal(undefined);
    expect(changesSince(h, 3, 6)).to.equal(undefined);
  });

  it('a batch whose changes were all superseded still moves the serial and records an empty step', () => {
    const s = store();
    apply(s, [upsert('www', 'A', ['192.0.2.1'], v(5))]);
    apply(s, [upsert('www', 'A', ['192.0.2.9'], v(4))]);
    const last = history(s).at(-1) as ZoneChange;
    expect([last.serialFrom, last.serialTo, last.removed.length, last.added.length]).to.deep.equal([
      2, 3, 0, 0,
    ]);
  });

  it(`keeps at most ${ZONE_HISTORY_VERSIONS_MAX} versions, dropping the oldest first`, () => {
    const s = store();
    for (let i = 1; i <= ZONE_HISTORY_VERSIONS_MAX + 10; i++)
      apply(s, [upsert('www', 'A', [`192.0.2.${i}`], v(i))]);
    const h = history(s);
    expect(h.length).to.equal(ZONE_HISTORY_VERSIONS_MAX);
    expect(h[0]?.serialFrom).to.equal(11);
    expect(h.at(-1)?.serialTo).to.equal(ZONE_HISTORY_VERSIONS_MAX + 11);
  });

  it(`keeps at most ${ZONE_HISTORY_BYTES_MAX} bytes; one difference larger than that empties the history`, () => {
    const s = store();
    apply(s, [upsert('www', 'A', ['192.0.2.1'], v(1))]);
    // 1,200 TXT RRsets of ~250 octets each: ~300 KiB, as a zone import might commit.
    const big: DnsChange[] = [];
    for (let i = 0; i < 1200; i++) big.push(upsert(`t${i}`, 'TXT', [`"${'x'.repeat(240)}"`], v(2)));
    const result = s.applyBatch({ changes: big }, 2000);
    if (!result.ok) expect.fail(result.error.message);
    expect(history(s)).to.deep.equal([]);
    // The next batch starts the history again, from the serial the big batch left.
    apply(s, [upsert('www', 'A', ['192.0.2.2'], v(3))]);
    expect(history(s).map((c) => c.serialFrom)).to.deep.equal([3]);

    // The budget drops the oldest first (small limits, the same code).
    const bounded = new ZoneHistory({ versionsMax: 100, bytesMax: 400 });
    const change = (from: number): ZoneChange => ({
      serialFrom: from,
      serialTo: from + 1,
      soaFrom: { owner: ZONE, type: RR_TYPE.SOA, ttl: 1, rdata: new Uint8Array(40) },
      soaTo: { owner: ZONE, type: RR_TYPE.SOA, ttl: 1, rdata: new Uint8Array(40) },
      removed: [],
      added: [{ owner: `a.${ZONE}`, type: RR_TYPE.A, ttl: 1, rdata: new Uint8Array(4) }],
    });
    for (let from = 0; from < 5; from++) bounded.append(change(from));
    // Each change counts 2 × (12 + 10 + 40) + (14 + 10 + 4) = 152 bytes: two fit in 400.
    expect(zoneChangeBytes(change(0))).to.equal(152);
    expect(bounded.changes.map((c) => c.serialFrom)).to.deep.equal([3, 4]);
    expect(bounded.bytes).to.equal(304);
    // A gap is never bridged.
    bounded.append(change(9));
    expect(bounded.changes.map((c) => c.serialFrom)).to.deep.equal([9]);
  });

  it('the serial wraps modulo 2^32 (RFC 1982 §3.1) and the history follows it', () => {
    const s = store(0xffffffff);
    apply(s, [upsert('www', 'A', ['192.0.2.1'], v(1))]);
    apply(s, [upsert('www', 'A', ['192.0.2.2'], v(2))]);
    const h = history(s);
    expect(h.map((c) => [c.serialFrom, c.serialTo])).to.deep.equal([
      [0xffffffff, 0],
      [0, 1],
    ]);
    expect(changesSince(h, 0xffffffff, 1)?.length).to.equal(2);
    const round = decodeDnsStore(encodeDnsStore(s));
    if (!round.ok) expect.fail(round.message);
    expect(history(round.store)).to.deep.equal(h);
  });

  it('deleting a zone drops its history; creating it again starts fresh', () => {
    const s = store();
    apply(s, [upsert('www', 'A', ['192.0.2.1'], v(1))]);
    apply(s, [{ op: 'delete-zone', zone: ZONE }]);
    apply(s, [createZone(7)]);
    expect(history(s)).to.deep.equal([]);
    apply(s, [upsert('www', 'A', ['192.0.2.1'], v(9))]);
    expect(history(s).map((c) => c.serialFrom)).to.deep.equal([7]);
  });

  it('round-trips through store bytes and snapshots; a replica fed deltas or a dump holds the same history', () => {
    const s = store();
    const live = new ZoneReplica();
    live.apply(s.dumpDeltas());
    for (let i = 1; i <= 5; i++) {
      apply(s, [upsert(`h${i}`, 'A', [`192.0.2.${i}`], v(i))]);
      live.apply(s.takeDeltas());
    }
    const h = history(s);
    expect(h.length).to.equal(5);
    expect(live.historyAt(APEX)).to.deep.equal(h);

    const bytes = encodeDnsStore(s);
    const restored = decodeDnsStore(bytes);
    if (!restored.ok) expect.fail(restored.message);
    expect(encodeDnsStore(restored.store)).to.deep.equal(bytes);
    const fromDump = new ZoneReplica();
    fromDump.apply(restored.store.dumpDeltas());
    expect(fromDump.historyAt(APEX)).to.deep.equal(h);

    const snapshot = encodeSnapshot({
      appliedIndex: 9,
      appliedTerm: 1,
      logTimeMs: 0,
      entries: [],
      sessions: [],
      dnsZones: s.exportZones(),
    });
    const decoded = decodeSnapshot(snapshot);
    if (!decoded.ok) expect.fail(decoded.error.message);
    expect(decoded.value.dnsZones?.[0]?.history).to.deep.equal(h);
  });

  it('a snapshot whose history does not end at the serial, or skips a version, is refused', () => {
    const s = store();
    for (let i = 1; i <= 3; i++) apply(s, [upsert('www', 'A', [`192.0.2.${i}`], v(i))]);
    const zone = s.exportZones()[0] as StoredZone;
    const [first, second, third] = zone.history as [ZoneChange, ZoneChange, ZoneChange];
    for (const bad of [[first, second], [first, third], [{ ...third, serialTo: 9 }]]) {
      const result = DnsStore.fromZones([{ ...zone, history: bad }]);
      expect(result.ok, JSON.stringify(bad.map((c) => c.serialFrom))).to.equal(false);
    }
    expect(DnsStore.fromZones([{ ...zone, history: [second, third] }]).ok).to.equal(true);
  });
});
