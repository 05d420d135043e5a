import { expect } from 'chai';
import { GroupStateMachine } from '../../../actors/state-machine/group-state-machine.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { diffZoneContent, type ZoneRrset } from '../../../protocol/dns/zone-content.js';
import {
  type DnsImport,
  mergeRrsets,
  packChunks,
  stagedChunkKey,
  ZONE_IMPORT_KEY_PREFIX,
} from '../../../protocol/dns/zone-import.js';
import { decodeSessionCommand, encodeSessionCommand } from '../../../protocol/group/command-codec.js';
import type { GroupCommand } from '../../../protocol/group/commands.js';
import { LogFeed } from './helpers.js';

const ZONE = 'example.org.';
const APEX = Name.parse(ZONE);
const VERSION = { hlcMs: 5, counter: 0, writer: 'w' };
const SOA: ZoneRrset = {
  name: ZONE,
  type: 'SOA',
  ttl: 60,
  rdata: ['ns1.example.org. h.example.org. 1 2 3 4 5'],
};
const NS: ZoneRrset = { name: ZONE, type: 'NS', ttl: 60, rdata: ['ns1.example.org.'] };

function machineWith(): { machine: GroupStateMachine; run: (command: GroupCommand) => unknown } {
  const machine = new GroupStateMachine();
  const feed = new LogFeed();
  let seq = 0;
  const run = (command: GroupCommand) => {
    seq++;
    const outcome = machine.apply(feed.command('c', seq, seq - 1, command));
    if (outcome.kind !== 'applied') throw new Error(`not applied: ${outcome.kind}`);
    return outcome.result;
  };
  return { machine, run };
}

function stage(
  run: (command: GroupCommand) => unknown,
  importId: string,
  rrsets: readonly ZoneRrset[],
): number {
  const chunks = packChunks(rrsets, 1024);
  chunks.forEach((value, i) => {
    run({ kind: 'kv-put', key: stagedChunkKey(importId, i), value });
  });
  return chunks.length;
}

describe('zone import: staged chunks committed by one entry', () => {
  it('packs RRsets into chunks within the bound, splitting a large RRset, and merges them back', () => {
    const big: ZoneRrset = {
      name: `txt.${ZONE}`,
      type: 'TXT',
      ttl: 60,
      rdata: Array.from({ length: 200 }, (_, i) => `"record ${i} of a large RRset"`),
    };
    const chunks = packChunks([SOA, NS, big], 1024);
    expect(chunks.length).to.be.above(3);
    for (const chunk of chunks) expect(Buffer.byteLength(chunk)).to.be.at.most(1024);
    const back = mergeRrsets(chunks.flatMap((c) => JSON.parse(c) as ZoneRrset[]));
    expect(back).to.deep.equal([SOA, NS, big]);
    expect(() => packChunks([{ ...big, rdata: [`"${'x'.repeat(2000)}"`] }], 1024)).to.throw(RangeError);
  });

  it('a diff ignores the SOA serial and finds writes and deletes', () => {
    const current = [SOA, NS, { name: `a.${ZONE}`, type: 'A', ttl: 60, rdata: ['192.0.2.1'] }];
    const next = [
      { ...SOA, rdata: ['ns1.example.org. h.example.org. 99 2 3 4 5'] },
      NS,
      { name: `b.${ZONE}`, type: 'A', ttl: 60, rdata: ['192.0.2.2'] },
    ];
    expect(diffZoneContent(APEX, current, next)).to.deep.equal({
      upserts: [next[2]],
      deletes: [{ name: `a.${ZONE}`, type: 'A' }],
      unchanged: 2,
    });
  });

  it('the dns-import command has one encoding', () => {
    const request: DnsImport = { zone: ZONE, importId: 'abc', chunks: 3, version: VERSION };
    const encoded = encodeSessionCommand({
      clientId: 'c',
      seq: 1,
      ackedSeq: 0,
      command: { kind: 'dns-import', import: request },
    });
    if (!encoded.ok) throw new Error(encoded.error.message);
    const decoded = decodeSessionCommand(encoded.value);
    expect(decoded.ok && decoded.value.command).to.deep.equal({ kind: 'dns-import', import: request });
    const bad = encodeSessionCommand({
      clientId: 'c',
      seq: 1,
      ackedSeq: 0,
      command: { kind: 'dns-import', import: { ...request, importId: 'no spaces' } },
    });
    expect(bad.ok).to.equal(false);
  });

  it('creates the zone, replaces it whole, and deletes the staged chunks', () => {
    const { machine, run } = machineWith();
    const first = [
      SOA,
      NS,
      ...Array.from({ length: 40 }, (_, i) => ({
        name: `h${i}.${ZONE}`,
        type: 'A',
        ttl: 60,
        rdata: ['192.0.2.1'],
      })),
    ];
    const chunks = stage(run, 'one', first);
    expect(chunks).to.be.above(1);
    const created = run({
      kind: 'dns-import',
      import: { zone: ZONE, importId: 'one', chunks, version: VERSION },
    });
    expect(created).to.include({ kind: 'dns-batch' });
    expect((created as { dns: { ok: boolean } }).dns.ok).to.equal(true);
    const second = [SOA, NS, { name: `only.${ZONE}`, type: 'TXT', ttl: 5, rdata: ['"x"'] }];
    const n = stage(run, 'two', second);
    run({
      kind: 'dns-import',
      import: { zone: ZONE, importId: 'two', chunks: n, version: { ...VERSION, hlcMs: 6 } },
    });
    const page = machine.query({ op: 'dns-zone-page', zone: ZONE, offset: 0, limit: 100 });
    if (page.op !== 'dns-zone-page' || page.page === null) throw new Error('no page');
    expect(page.page.total).to.equal(3);
    expect(diffZoneContent(APEX, page.page.rrsets, second).upserts).to.deep.equal([]);
    expect(machine.query({ op: 'range', prefix: ZONE_IMPORT_KEY_PREFIX, limit: 100 })).to.deep.equal({
      op: 'range',
      entries: [],
      more: false,
    });
  });

  it('a missing chunk refuses the import: nothing changes, and what was staged is deleted', () => {
    const { machine, run } = machineWith();
    const chunks = stage(run, 'gap', [SOA, NS]);
    const before = machine.digest();
    const result = run({
      kind: 'dns-import',
      import: { zone: ZONE, importId: 'gap', chunks: chunks + 1, version: VERSION },
    });
    expect((result as { dns: { ok: boolean } }).dns.ok).to.equal(false);
    expect(machine.query({ op: 'dns-zone-page', zone: ZONE, offset: 0, limit: 1 })).to.deep.equal({
      op: 'dns-zone-page',
      page: null,
    });
    expect(machine.digest()).to.not.equal(before);
    expect(machine.keyCount).to.equal(0);
  });

  it('pages of an unchanged zone share a changedIndex; a write moves it', () => {
    const { machine, run } = machineWith();
    const n = stage(run, 'p', [SOA, NS, { name: `a.${ZONE}`, type: 'A', ttl: 60, rdata: ['192.0.2.1'] }]);
    run({ kind: 'dns-import', import: { zone: ZONE, importId: 'p', chunks: n, version: VERSION } });
    const page = (offset: number) => {
      const q = machine.query({ op: 'dns-zone-page', zone: ZONE, offset, limit: 1 });
      if (q.op !== 'dns-zone-page' || q.page === null) throw new Error('no page');
      return q.page;
    };
    const a = page(0);
    run({ kind: 'kv-put', key: 'unrelated', value: 'x' });
    const b = page(1);
    expect(b.changedIndex).to.equal(a.changedIndex);
    expect(b.appliedIndex).to.be.above(a.appliedIndex);
    run({
      kind: 'dns-batch',
      batch: {
        changes: [
          {
            op: 'upsert',
            zone: ZONE,
            name: 'b',
            type: 'A',
            ttl: 1,
            rdata: ['192.0.2.9'],
            version: { ...VERSION, hlcMs: 9 },
          },
        ],
      },
    });
    expect(page(0).changedIndex).to.be.above(a.changedIndex);
  });
  it('a read in pages keeps its content (asOf) while the zone changes, until another paged read starts', () => {
    const { machine, run } = machineWith();
    const names = ['a', 'b', 'c'].map((l) => ({
      name: `${l}.${ZONE}`,
      type: 'A',
      ttl: 60,
      rdata: ['192.0.2.1'],
    }));
    const n = stage(run, 'q', [SOA, NS, ...names]);
    run({ kind: 'dns-import', import: { zone: ZONE, importId: 'q', chunks: n, version: VERSION } });
    const page = (offset: number, asOf?: number) => {
      const q = machine.query({
        op: 'dns-zone-page',
        zone: ZONE,
        offset,
        limit: 2,
        ...(asOf === undefined ? {} : { asOf }),
      });
      if (q.op !== 'dns-zone-page' || q.page === null) throw new Error('no page');
      return q.page;
    };
    const write = (hlcMs: number, label: string) =>
      run({
        kind: 'dns-batch',
        batch: {
          changes: [
            {
              op: 'delete-rrset',
              zone: ZONE,
              name: `${label}.${ZONE}`,
              type: 'A',
              version: { ...VERSION, hlcMs },
            },
          ],
        },
      });
    const first = page(0);
    expect(first.total).to.equal(5);
    write(10, 'c');
    const second = page(2, first.changedIndex);
    const third = page(4, first.changedIndex);
    expect(second.changedIndex).to.equal(first.changedIndex);
    expect(second.serial).to.equal(first.serial);
    expect([...first.rrsets, ...second.rrsets, ...third.rrsets].map((r) => r.name)).to.include(
      'c.example.org.',
    );
    expect(third.rrsets).to.have.length(1);
    // A new read in pages shows the current content and takes the pinned slot: the older
    // content is gone, and its reader would start again.
    const current = page(0);
    expect(current.changedIndex).to.be.above(first.changedIndex);
    expect(current.total).to.equal(4);
    expect(page(2, first.changedIndex).changedIndex).to.equal(current.changedIndex);
    // The new read keeps its content while the zone changes again.
    write(11, 'b');
    expect(page(2, current.changedIndex).changedIndex).to.equal(current.changedIndex);
    expect(page(2, first.changedIndex).changedIndex).to.be.above(current.changedIndex);
  });
});
