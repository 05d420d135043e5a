/**
 * How the transfer desk answers an IXFR (RFC 1995): the SOA alone for a client as new as
 * we are (§2), the difference sequences when the history reaches the client and is not
 * larger than the zone (§4), the whole zone in AXFR form otherwise (§4). A real `DnsStore`
 * feeds a `ZoneReplica` with its deltas, as the DNS actor's copy is fed.
 */
import { expect } from 'chai';
import { DnsStore } from '../../../../actors/dns/store/dns-store.js';
import { ZoneReplica } from '../../../../actors/dns/store/zone-replica.js';
import { TransferDesk, type TransferRoute } from '../../../../actors/dns/transfer/transfer-desk.js';
import type { DnsChange } from '../../../../protocol/dns/changes.js';
import { TransferAcl } from '../../../../protocol/dns/transfer-acl.js';
import { RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { decodeMessage, encodeMessage, messageFlags } from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';

const ZONE = 'example.org.';
const APEX = Name.parse(ZONE);
const HOSTS = 20;

function storeAndCopy(): { store: DnsStore; copy: ZoneReplica; write: (changes: DnsChange[]) => number } {
  const store = new DnsStore();
  const copy = new ZoneReplica();
  const write = (changes: DnsChange[]): number => {
    const result = store.applyBatch({ changes });
    if (!result.ok) return expect.fail(result.error.message);
    copy.apply(store.takeDeltas());
    return result.serials[ZONE] as number;
  };
  write([
    {
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
        serial: 1,
      },
      ns: [`ns1.${ZONE}`],
      nsTtl: 3600,
    },
  ]);
  return { store, copy, write };
}

let hlc = 0;
const upsert = (name: string, address: string): DnsChange => ({
  op: 'upsert',
  zone: ZONE,
  name,
  type: 'A',
  ttl: 60,
  rdata: [address],
  version: { hlcMs: ++hlc, counter: 0, writer: 'w' },
});

function ixfrQuery(serial: number): Uint8Array {
  return encodeMessage(
    {
      id: 99,
      flags: messageFlags(),
      questions: [{ name: APEX, type: RR_TYPE.IXFR, class: RR_CLASS.IN }],
      answers: [],
      authorities: [
        {
          name: APEX,
          type: RR_TYPE.SOA,
          class: RR_CLASS.IN,
          ttl: 0,
          rdata: {
            kind: 'SOA',
            mname: APEX,
            rname: APEX,
            serial,
            refresh: 0,
            retry: 0,
            expire: 0,
            minimum: 0,
          },
        },
      ],
      additionals: [],
    },
    { compress: true },
  ).bytes;
}

/** The records of every message the desk sends for `query` over `transport`, types as text. */
function answer(copy: ZoneReplica, query: Uint8Array, transport: 'tcp' | 'udp') {
  const sent: Uint8Array[] = [];
  const route: TransferRoute = { transport, remoteAddress: '127.0.0.1' };
  const { acl } = TransferAcl.from([{ zone: ZONE, keys: [], prefixes: ['127.0.0.0/8'] }]);
  const desk: TransferDesk<TransferRoute> = new TransferDesk<TransferRoute>({
    nowMs: () => 0,
    keyring: () => new Map(),
    acl: () => acl,
    zoneAt: (name) => copy.zoneAt(name),
    historyAt: (apex) => copy.historyAt(apex),
    admit: () => 'now',
    send: (_, bytes) => {
      sent.push(bytes);
      return true;
    },
    finish: (_, bytes) => {
      if (bytes !== null) sent.push(bytes);
    },
    continueLater: (id) => queueMicrotask(() => desk.pump(id)),
    ednsFor: (asked) => asked,
    warn: () => undefined,
  });
  desk.receive(route, query);
  return { sent, desk };
}

async function records(copy: ZoneReplica, serial: number, transport: 'tcp' | 'udp') {
  const { sent, desk } = answer(copy, ixfrQuery(serial), transport);
  while (desk.active > 0) await new Promise((resolve) => setImmediate(resolve));
  const answers = sent.flatMap((bytes) => {
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) return expect.fail(decoded.error.message);
    return decoded.message.answers;
  });
  return {
    types: answers.map((r) => (r.rdata.kind === 'SOA' ? `SOA ${r.rdata.serial}` : r.rdata.kind)),
    counters: desk.counters,
  };
}

describe('dns/transfer/transfer-desk: IXFR answers (RFC 1995 §2, §4)', () => {
  it('differences when the history reaches the client; the SOA alone when it is current; AXFR form for a serial the history does not hold', async () => {
    const { copy, write } = storeAndCopy();
    const hosts: DnsChange[] = [];
    for (let i = 0; i < HOSTS; i++) hosts.push(upsert(`h${i}`, `10.0.0.${i + 1}`));
    const s2 = write(hosts);
    const s3 = write([upsert('www', '192.0.2.1')]);

    const incremental = await records(copy, s2, 'tcp');
    expect(incremental.types).to.deep.equal([`SOA ${s3}`, `SOA ${s2}`, `SOA ${s3}`, 'A', `SOA ${s3}`]);
    expect(incremental.counters.incremental).to.equal(1);

    const current = await records(copy, s3, 'tcp');
    expect(current.types).to.deep.equal([`SOA ${s3}`]);
    expect(current.counters.soaOnly).to.equal(1);

    // Serial 0 was never the zone's: no path through the history, the whole zone.
    const unknown = await records(copy, 0, 'tcp');
    expect(unknown.types.length).to.equal(1 + 1 + HOSTS + 1 + 1); // SOA, NS, hosts, www, SOA
    expect(unknown.types[0]).to.equal(`SOA ${s3}`);
    expect(unknown.types.at(-1)).to.equal(`SOA ${s3}`);
    expect(unknown.counters.incremental).to.equal(0);
    expect(unknown.counters.started).to.equal(1);

    // Over UDP the small difference fits in one message.
    const udp = await records(copy, s2, 'udp');
    expect(udp.types).to.deep.equal(incremental.types);
  });

  it('a difference with more records than the zone gets the whole zone in AXFR form', async () => {
    const { copy, write } = storeAndCopy();
    const hosts: DnsChange[] = [];
    for (let i = 0; i < HOSTS; i++) hosts.push(upsert(`h${i}`, `10.0.0.${i + 1}`));
    const s2 = write(hosts);
    // Every host replaced: 20 removed + 20 added + SOAs, against a zone of 22 records.
    const replaced: DnsChange[] = [];
    for (let i = 0; i < HOSTS; i++) replaced.push(upsert(`h${i}`, `10.0.1.${i + 1}`));
    const s3 = write(replaced);
    const answered = await records(copy, s2, 'tcp');
    expect(answered.types.length).to.equal(1 + 1 + HOSTS + 1);
    expect(answered.types.filter((t) => t.startsWith('SOA'))).to.deep.equal([`SOA ${s3}`, `SOA ${s3}`]);
    expect(answered.counters.incremental).to.equal(0);
    // One version older than the replacement, the difference is small again.
    const s4 = write([upsert('www', '192.0.2.1')]);
    expect((await records(copy, s3, 'tcp')).types).to.deep.equal([
      `SOA ${s4}`,
      `SOA ${s3}`,
      `SOA ${s4}`,
      'A',
      `SOA ${s4}`,
    ]);
  });
});
