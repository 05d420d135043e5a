/**
 * The IXFR encoder (RFC 1995 §4): the records of the retained changes as difference
 * sequences, packed into as many TCP messages as needed, or one UDP message (the whole
 * sequence, or our SOA alone when it does not fit, §2). The end-to-end spec
 * (spec/dns/zone-transfer.spec.ts) shows kdig and Knot reading it from a running group.
 */
import { expect } from 'chai';
import { DnsStore, type StoredZone } from '../../../../actors/dns/store/dns-store.js';
import type { ZoneChange } from '../../../../actors/dns/store/zone-history.js';
import { IxfrStream, ixfrRecords } from '../../../../actors/dns/transfer/ixfr-stream.js';
import { snapshotZone } from '../../../../actors/dns/transfer/zone-snapshot.js';
import type { DnsChange } from '../../../../protocol/dns/changes.js';
import { RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { decodeMessage } from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { recordToText } from '../../../../protocol/dns/wire/record.js';

const ZONE = 'example.org.';
const APEX = Name.parse(ZONE);
const QUESTION = { name: APEX, type: RR_TYPE.IXFR, class: RR_CLASS.IN };

function storeWith(batches: DnsChange[][]): DnsStore {
  const store = new DnsStore();
  const created = store.applyBatch({
    changes: [
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
          serial: 10,
        },
        ns: [`ns1.${ZONE}`],
        nsTtl: 3600,
      },
    ],
  });
  expect(created.ok).to.equal(true);
  for (const changes of batches) {
    const result = store.applyBatch({ changes });
    if (!result.ok) expect.fail(result.error.message);
  }
  return store;
}

const upsert = (name: string, type: string, rdata: string[], hlcMs: number): DnsChange => ({
  op: 'upsert',
  zone: ZONE,
  name,
  type,
  ttl: 300,
  rdata,
  version: { hlcMs, counter: 0, writer: 'w' },
});

function parts(store: DnsStore): { records: ReturnType<typeof ixfrRecords>; changes: readonly ZoneChange[] } {
  const live = store.zone(APEX);
  if (live === undefined) return expect.fail('no zone');
  const snapshot = snapshotZone(live);
  const changes = (store.exportZones()[0] as StoredZone).history;
  return { records: ixfrRecords(snapshot.soa, changes, RR_CLASS.IN), changes };
}

/** Every message of the stream decoded: answers as text, whether a question came. */
function drain(stream: IxfrStream): { answers: string[]; questions: number[]; sizes: number[] } {
  const answers: string[] = [];
  const questions: number[] = [];
  const sizes: number[] = [];
  for (let bytes = stream.next(0); bytes !== undefined; bytes = stream.next(0)) {
    const decoded = decodeMessage(bytes);
    if (!decoded.ok) return expect.fail(decoded.error.message);
    expect(decoded.message.flags.tc).to.equal(false);
    expect(decoded.message.flags.aa).to.equal(true);
    answers.push(...decoded.message.answers.map(recordToText));
    questions.push(decoded.message.questions.length);
    sizes.push(bytes.length);
  }
  return { answers, questions, sizes };
}

const soaText = (serial: number) =>
  `example.org. 3600 IN SOA ns1.example.org. admin.example.org. ${serial} 3600 600 86400 60`;

describe('dns/transfer/ixfr-stream: RFC 1995 difference sequences', () => {
  it('gives current SOA, then per version old SOA, removed, new SOA, added, then current SOA (§4)', () => {
    const store = storeWith([
      [upsert('www', 'A', ['192.0.2.1'], 1)],
      [upsert('www', 'A', ['192.0.2.2'], 2), upsert('mail', 'MX', ['10 mx.example.org.'], 3)],
      [
        {
          op: 'delete-rrset',
          zone: ZONE,
          name: 'mail',
          type: 'MX',
          version: { hlcMs: 4, counter: 0, writer: 'w' },
        },
      ],
    ]);
    const { records } = parts(store);
    if (records === undefined) return expect.fail('records did not decode');
    const stream = new IxfrStream(records, {
      id: 7,
      rd: false,
      question: QUESTION,
      edns: undefined,
      signer: undefined,
      reserveBytes: 0,
      udpBytesMax: undefined,
    });
    const { answers, questions } = drain(stream);
    expect(questions).to.deep.equal([1]);
    expect(answers).to.deep.equal([
      soaText(13),
      soaText(10),
      soaText(11),
      'www.example.org. 300 IN A 192.0.2.1',
      soaText(11),
      'www.example.org. 300 IN A 192.0.2.1',
      soaText(12),
      'mail.example.org. 300 IN MX 10 mx.example.org.',
      'www.example.org. 300 IN A 192.0.2.2',
      soaText(12),
      'mail.example.org. 300 IN MX 10 mx.example.org.',
      soaText(13),
      soaText(13),
    ]);
  });

  it('a long sequence spans several TCP messages of at most 65535 octets, the question in the first only', () => {
    const batches: DnsChange[][] = [];
    for (let i = 0; i < 60; i++)
      batches.push([
        upsert(
          `big${i}`,
          'TXT',
          [
            `"${'y'.repeat(250)}" "${'z'.repeat(250)}" "${'y'.repeat(250)}" "${'z'.repeat(250)}" "${'y'.repeat(250)}"`,
            `"${i}"`,
          ],
          i + 1,
        ),
      ]);
    const { records } = parts(storeWith(batches));
    if (records === undefined) return expect.fail('records did not decode');
    expect(records.length).to.equal(2 + 60 * 4);
    const stream = new IxfrStream(records, {
      id: 1,
      rd: false,
      question: QUESTION,
      edns: undefined,
      signer: undefined,
      reserveBytes: 100,
      udpBytesMax: undefined,
    });
    const { answers, questions, sizes } = drain(stream);
    expect(sizes.length).to.be.greaterThan(1);
    for (const size of sizes) expect(size).to.be.at.most(65535 - 100);
    expect(questions).to.deep.equal([1, ...sizes.slice(1).map(() => 0)]);
    expect(answers).to.deep.equal(records.map(recordToText));
  });

  it('over UDP: the whole sequence when it fits, else our SOA alone (§2)', () => {
    const small = parts(storeWith([[upsert('www', 'A', ['192.0.2.1'], 1)]])).records;
    if (small === undefined) return expect.fail('records did not decode');
    const options = {
      id: 1,
      rd: false,
      question: QUESTION,
      edns: undefined,
      signer: undefined,
      reserveBytes: 0,
      udpBytesMax: 512,
    };
    const fits = new IxfrStream(small, options);
    expect(drain(fits).answers).to.deep.equal(small.map(recordToText));
    expect(fits.soaOnly).to.equal(false);

    const batches: DnsChange[][] = [];
    for (let i = 0; i < 5; i++) batches.push([upsert(`t${i}`, 'TXT', [`"${'q'.repeat(200)}"`], i + 1)]);
    const large = parts(storeWith(batches)).records;
    if (large === undefined) return expect.fail('records did not decode');
    const tooLarge = new IxfrStream(large, options);
    const { answers, sizes } = drain(tooLarge);
    expect(answers).to.deep.equal([soaText(15)]);
    expect(sizes).to.have.length(1);
    expect(tooLarge.soaOnly).to.equal(true);
  });

  it('a record that does not decode gives no sequence (the desk then answers in AXFR form)', () => {
    const store = storeWith([[upsert('www', 'A', ['192.0.2.1'], 1)]]);
    const { changes } = parts(store);
    const live = store.zone(APEX);
    if (live === undefined) return expect.fail('no zone');
    const damaged = changes.map((c) => ({
      ...c,
      added: c.added.map((r) => ({ ...r, rdata: new Uint8Array(3) })),
    }));
    expect(ixfrRecords(snapshotZone(live).soa, damaged, RR_CLASS.IN)).to.equal(undefined);
  });
});
