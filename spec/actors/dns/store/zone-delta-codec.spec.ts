import { expect } from 'chai';
import type { ZoneDelta } from '../../../../actors/dns/store/zone-delta.js';
import { decodeZoneDeltas, encodeZoneDeltas } from '../../../../actors/dns/store/zone-delta-codec.js';
import type { HistoryRecord } from '../../../../actors/dns/store/zone-history.js';

const soa = (serial: number): HistoryRecord => ({
  owner: 'example.org.',
  type: 6,
  ttl: 3600,
  rdata: new Uint8Array([1, 2, 3, serial & 0xff]),
});

const DELTAS: ZoneDelta[] = [
  { kind: 'zone', zone: 'example.org.', present: true },
  {
    kind: 'rrset',
    zone: 'example.org.',
    owner: 'www.example.org.',
    type: 1,
    ttl: 300,
    rdatas: [new Uint8Array([192, 0, 2, 1]), new Uint8Array([192, 0, 2, 2])],
  },
  { kind: 'rrset', zone: 'example.org.', owner: 'gone.example.org.', type: 16, ttl: 0, rdatas: null },
  {
    kind: 'rrset',
    zone: 'example.org.',
    owner: 'empty.example.org.',
    type: 99,
    ttl: 2 ** 32 - 1,
    rdatas: [new Uint8Array(0)],
  },
  { kind: 'zone', zone: 'other.test.', present: false },
  {
    kind: 'history',
    zone: 'example.org.',
    change: {
      serialFrom: 2 ** 32 - 1,
      serialTo: 0,
      soaFrom: soa(1),
      soaTo: soa(2),
      removed: [{ owner: 'a.example.org.', type: 1, ttl: 60, rdata: new Uint8Array([10, 0, 0, 1]) }],
      added: [],
    },
  },
  { kind: 'history', zone: 'example.org.', change: null },
  {
    kind: 'rrset',
    zone: 'xn--bcher-kva.example.',
    owner: '\\(odd\\).xn--bcher-kva.example.',
    type: 1,
    ttl: 1,
    rdatas: [new Uint8Array([1, 1, 1, 1])],
  },
];

describe('zone delta codec', () => {
  it('gives back every kind of delta it encoded; history RDATA in buffers of their own', () => {
    const bytes = encodeZoneDeltas(DELTAS);
    const decoded = decodeZoneDeltas(bytes);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(decoded.deltas).to.deep.equal(DELTAS);
    const history = decoded.deltas[5];
    if (history?.kind !== 'history' || history.change === null) throw new Error('not a history step');
    // The history keeps its records: a view would keep the whole message alive with them.
    const kept = history.change.removed[0]?.rdata;
    expect(kept?.buffer).to.not.equal(bytes.buffer);
    expect(kept?.buffer.byteLength).to.equal(4);
  });

  it('writes a step that starts from the SOA the step before ended with without that SOA, and decodes it to one record', () => {
    const step = (from: HistoryRecord, serial: number): ZoneDelta => ({
      kind: 'history',
      zone: 'example.org.',
      change: {
        serialFrom: serial - 1,
        serialTo: serial,
        soaFrom: from,
        soaTo: soa(serial),
        removed: [],
        added: [],
      },
    });
    const first = step(soa(1), 2);
    const second = step(first.kind === 'history' ? (first.change?.soaTo as HistoryRecord) : soa(0), 3);
    // Equal in content but another object: written out in full.
    const third = step(soa(3), 4);
    const chained = encodeZoneDeltas([first, second]);
    const unchained = encodeZoneDeltas([first, third]);
    expect(chained.length).to.be.below(unchained.length);
    for (const bytes of [chained, unchained]) {
      const decoded = decodeZoneDeltas(bytes);
      if (!decoded.ok) throw new Error(decoded.error);
      expect(decoded.deltas).to.deep.equal(bytes === chained ? [first, second] : [first, third]);
    }
    const decoded = decodeZoneDeltas(chained);
    if (!decoded.ok) throw new Error(decoded.error);
    const [a, b] = decoded.deltas;
    if (a?.kind !== 'history' || b?.kind !== 'history') throw new Error('not history');
    expect(b.change?.soaFrom).to.equal(a.change?.soaTo);
  });

  it('refuses a chained step with no step before it in its zone', () => {
    const bytes = encodeZoneDeltas([
      {
        kind: 'history',
        zone: 'example.org.',
        change: { serialFrom: 1, serialTo: 2, soaFrom: soa(1), soaTo: soa(2), removed: [], added: [] },
      },
    ]);
    // format, count, kind, zone reference + name, then the history form byte
    const form = 1 + 1 + 1 + 1 + 1 + 'example.org.'.length;
    expect(bytes[form]).to.equal(1);
    const damaged = bytes.slice();
    damaged[form] = 2;
    const decoded = decodeZoneDeltas(damaged);
    expect(decoded.ok).to.equal(false);
    if (!decoded.ok) expect(decoded.error).to.match(/chained history step/);
  });

  it('writes a zone name once per message', () => {
    const many: ZoneDelta[] = Array.from({ length: 100 }, (_, i) => ({
      kind: 'rrset',
      zone: 'a-rather-long-zone-name.example.org.',
      owner: `h${i}.a-rather-long-zone-name.example.org.`,
      type: 1,
      ttl: 300,
      rdatas: [new Uint8Array([192, 0, 2, i])],
    }));
    const text = new TextDecoder().decode(encodeZoneDeltas(many));
    expect(text.split('a-rather-long-zone-name.example.org.').length - 1).to.equal(101); // 100 owners + 1 zone
  });

  it('encodes an empty list and decodes it', () => {
    const decoded = decodeZoneDeltas(encodeZoneDeltas([]));
    expect(decoded).to.deep.equal({ ok: true, deltas: [] });
  });

  it('returns an error, never throws, for every truncation of a valid message', () => {
    const bytes = encodeZoneDeltas(DELTAS);
    for (let length = 0; length < bytes.length; length++) {
      const decoded = decodeZoneDeltas(bytes.subarray(0, length));
      expect(decoded.ok, `truncated to ${length} bytes`).to.equal(false);
    }
  });

  it('refuses an unknown format, an unknown kind, a bad zone reference, a huge count and trailing bytes', () => {
    const bytes = encodeZoneDeltas(DELTAS);
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['format', Uint8Array.from([9, 0]), /unknown format 9/],
      ['kind', Uint8Array.from([1, 1, 7, 0, 1, 0x61]), /unknown delta kind 7/],
      ['zone reference', Uint8Array.from([1, 1, 0, 3]), /zone reference/],
      ['count', Uint8Array.from([1, 0xff, 0xff, 0xff, 0x7f]), /delta count/],
      ['trailing', Uint8Array.from([...bytes, 0]), /1 bytes after the last delta/],
      ['flag', Uint8Array.from([1, 1, 0, 0, 1, 0x61, 2]), /flag byte 2/],
    ];
    for (const [what, input, pattern] of cases) {
      const decoded = decodeZoneDeltas(input);
      expect(decoded.ok, what).to.equal(false);
      if (!decoded.ok) expect(decoded.error, what).to.match(pattern);
    }
  });
});
