/**
 * A transfer is one version of the zone (RFC 5936 §6): a stream started from a snapshot
 * gives the zone as of the snapshot, whatever the live zone does between its messages. The
 * end-to-end spec (spec/dns/zone-transfer.spec.ts) shows it on a running group; this one pins
 * the mechanism deterministically, with changes between every two messages.
 */
import { expect } from 'chai';
import { AxfrStream } from '../../../../actors/dns/transfer/axfr-stream.js';
import { snapshotZone } from '../../../../actors/dns/transfer/zone-snapshot.js';
import { LiveZone } from '../../../../actors/dns/zone/live-zone.js';
import { RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { decodeMessage } from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import type { Rdata } from '../../../../protocol/dns/wire/rdata.js';
import { recordToText } from '../../../../protocol/dns/wire/record.js';

const APEX = Name.parse('example.org.');
const OWNERS = 3_000;

function soa(serial: number): Rdata {
  return {
    kind: 'SOA',
    mname: Name.parse('ns1.example.org.'),
    rname: Name.parse('hostmaster.example.org.'),
    serial,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 300,
  };
}

function txt(value: string): Rdata {
  return { kind: 'TXT', strings: [new TextEncoder().encode(value)] };
}

function liveZone(): LiveZone {
  const zone = new LiveZone(APEX, RR_CLASS.IN);
  zone.setRRset(APEX, { type: RR_TYPE.SOA, ttl: 3600, rdatas: [soa(1)] });
  zone.setRRset(APEX, {
    type: RR_TYPE.NS,
    ttl: 3600,
    rdatas: [{ kind: 'NS', target: Name.parse('ns1.example.org.') }],
  });
  for (let i = 0; i < OWNERS; i++)
    zone.setRRset(Name.parse(`host-${i}.example.org.`), {
      type: RR_TYPE.TXT,
      ttl: 60,
      rdatas: [txt(`version 1 of host ${i}, padded to fill messages ${'x'.repeat(40)}`)],
    });
  return zone;
}

/** Every record of the zone as text, the SOA once. */
function zoneTexts(zone: LiveZone): string[] {
  const texts: string[] = [];
  for (const node of zone.nodes())
    for (const set of node.rrsets.values())
      for (const rdata of set.rdatas)
        texts.push(
          recordToText({ name: node.name, type: set.type, class: RR_CLASS.IN, ttl: set.ttl, rdata }),
        );
  return texts.sort();
}

describe('a zone transfer from a snapshot (RFC 5936 §6: one version)', () => {
  it('gives the zone as of the snapshot while the live zone changes between every two messages', () => {
    const zone = liveZone();
    const before = zoneTexts(zone);
    const stream = new AxfrStream(snapshotZone(zone), {
      id: 7,
      rd: false,
      question: { name: APEX, type: RR_TYPE.AXFR, class: RR_CLASS.IN },
      edns: undefined,
      signer: undefined,
      reserveBytes: 0,
      soaOnly: false,
    });
    const received: string[] = [];
    let messages = 0;
    for (let change = 2; ; change++) {
      const bytes = stream.next(0);
      if (bytes === undefined) break;
      messages++;
      expect(bytes.length).to.be.at.most(65_535);
      const decoded = decodeMessage(bytes);
      if (!decoded.ok) expect.fail(`message ${messages} does not decode: ${decoded.error.message}`);
      for (const record of decoded.message.answers) received.push(recordToText(record));
      // Between messages: a new serial, a late owner rewritten, an early one deleted, a new owner.
      zone.setRRset(APEX, { type: RR_TYPE.SOA, ttl: 3600, rdatas: [soa(change)] });
      zone.setRRset(Name.parse(`host-${OWNERS - change}.example.org.`), {
        type: RR_TYPE.TXT,
        ttl: 60,
        rdatas: [txt(`version ${change}`)],
      });
      zone.deleteRRset(Name.parse(`host-${change}.example.org.`), RR_TYPE.TXT);
      zone.setRRset(Name.parse(`new-${change}.example.org.`), {
        type: RR_TYPE.TXT,
        ttl: 60,
        rdatas: [txt('new')],
      });
    }
    expect(messages, 'a transfer of several messages').to.be.greaterThan(2);
    expect(stream.done).to.equal(true);
    // SOA first and last (RFC 5936 §2.2), both of the snapshot's serial.
    expect(received[0]).to.equal(received.at(-1));
    expect(received[0]).to.include(' SOA ').and.to.include(' 1 3600 600 86400 300');
    expect(received.slice(0, -1).sort()).to.deep.equal(before);
    expect(zoneTexts(zone)).to.not.deep.equal(before);
  });
});
