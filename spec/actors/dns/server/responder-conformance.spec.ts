import { expect } from 'chai';
import { Responder } from '../../../../actors/dns/server/responder.js';
import { ZoneSet } from '../../../../actors/dns/zone/lookup.js';
import { makeTsigKey } from '../../../../protocol/dns/tsig/key.js';
import { locateTsig } from '../../../../protocol/dns/tsig/locate.js';
import { signRequest } from '../../../../protocol/dns/tsig/sign.js';
import { OPCODE, RCODE } from '../../../../protocol/dns/wire/codes.js';
import { encodeMessage, type Message } from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { recordToText } from '../../../../protocol/dns/wire/record.js';
import { queryFlags, queryMessage } from '../../../fixtures/dns-query.js';
import { zone } from '../zone/helpers.js';
import { decodeOk, exampleZones, makeQuery } from './helpers.js';

/**
 * Conformance points the real tools cannot all express: OPT on error answers (RFC 6891
 * §6.1.1), additional addresses for NS/MX/SRV targets (RFC 1035 §4.3.2 step 6), TSIG
 * without keys (RFC 8945 §5.2).
 */
const EDNS = { udpPayloadSize: 4096, extendedRcode: 0, version: 0, dnssecOk: true, options: [] };

function rawQuery(overrides: Partial<Message>): Uint8Array {
  return encodeMessage(queryMessage({ id: 0x5151, flags: baseFlags(), ...overrides }), { compress: true })
    .bytes;
}

const responder = () => new Responder({ identity: 'replica-1' });

describe('dns/server/responder: OPT on error answers (RFC 6891 §6.1.1)', () => {
  it('NOTIMP for an unknown opcode and FORMERR for QDCOUNT 0 carry an OPT when the query had one', () => {
    const zones = exampleZones();
    const cases = [
      { query: { flags: { ...baseFlags(), opcode: 2 } }, rcode: RCODE.NOTIMP, opcode: 2 },
      {
        query: { flags: { ...baseFlags(), opcode: OPCODE.UPDATE } },
        rcode: RCODE.NOTIMP,
        opcode: OPCODE.UPDATE,
      },
      { query: { questions: [] }, rcode: RCODE.FORMERR, opcode: 0 },
      {
        query: {
          questions: [
            { name: Name.parse('a.example.'), type: 1, class: 1 },
            { name: Name.parse('b.example.'), type: 1, class: 1 },
          ],
        },
        rcode: RCODE.FORMERR,
        opcode: 0,
      },
    ];
    for (const { query, rcode, opcode } of cases) {
      const withOpt = decodeOk(responder().respond(rawQuery({ ...query, edns: EDNS }), 'udp', zones));
      expect(withOpt.flags).to.include({ qr: true, rcode, opcode, rd: true });
      expect(withOpt.id).to.equal(0x5151);
      expect(withOpt.edns, `rcode ${rcode}`).to.deep.include({
        udpPayloadSize: 1232,
        version: 0,
        dnssecOk: true,
      });
      const without = decodeOk(responder().respond(rawQuery(query), 'udp', zones));
      expect(without.flags.rcode).to.equal(rcode);
      expect(without.edns).to.equal(undefined);
    }
  });
});

function baseFlags() {
  return queryFlags({ rd: true });
}

describe('dns/server/responder: additional addresses for NS, MX and SRV targets', () => {
  const zones = new ZoneSet([
    zone('svc.test.', [
      '@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300',
      '@ 3600 NS ns1',
      '@ 3600 NS ns.elsewhere.net.',
      '@ 3600 MX 10 mail',
      '@ 3600 MX 20 mx.elsewhere.net.',
      '@ 3600 MX 30 mail',
      'ns1 3600 A 192.0.2.53',
      'mail 300 A 192.0.2.25',
      'mail 300 AAAA 2001:db8::25',
      '_sip._tcp 300 SRV 0 5 5060 sip',
      '_sip._tcp 300 SRV 1 5 5060 nowhere',
      '_off._tcp 300 SRV 0 0 0 .',
      'sip 300 A 192.0.2.80',
      'alias 300 CNAME @',
      ...Array.from({ length: 40 }, (_, i) => `many 300 MX ${i} host${i}`),
      ...Array.from({ length: 40 }, (_, i) => `host${i} 300 AAAA 2001:db8::${i + 1}`),
      ...Array.from({ length: 12 }, (_, i) => `dozen 300 MX ${i} host${i}`),
    ]),
  ]);
  const ask = (name: string, type: string, transport: 'udp' | 'tcp' = 'udp', edns = true) =>
    decodeOk(responder().respond(makeQuery(name, type, edns ? { edns: {} } : {}), transport, zones));
  const additionals = (m: Message) => m.additionals.map(recordToText);

  it('NS, MX and SRV answers carry the in-zone A and AAAA of their targets, each target once', () => {
    expect(additionals(ask('svc.test.', 'NS'))).to.deep.equal(['ns1.svc.test. 3600 IN A 192.0.2.53']);
    expect(additionals(ask('svc.test.', 'MX'))).to.deep.equal([
      'mail.svc.test. 300 IN A 192.0.2.25',
      'mail.svc.test. 300 IN AAAA 2001:db8::25',
    ]);
    expect(additionals(ask('_sip._tcp.svc.test.', 'SRV'))).to.deep.equal([
      'sip.svc.test. 300 IN A 192.0.2.80',
    ]);
    expect(additionals(ask('_off._tcp.svc.test.', 'SRV'))).to.deep.equal([]);
    // Through a CNAME to the apex, too.
    expect(additionals(ask('alias.svc.test.', 'MX'))).to.have.length(2);
    expect(additionals(ask('mail.svc.test.', 'A'))).to.deep.equal([]);
  });

  it('additional addresses never set TC: without EDNS they are dropped to fit 512 octets', () => {
    const tcp = ask('many.svc.test.', 'MX', 'tcp');
    expect(tcp.additionals.length).to.equal(32);
    const small = ask('dozen.svc.test.', 'MX', 'udp', false);
    expect(small.flags.tc).to.equal(false);
    expect(small.answers).to.have.length(12);
    expect(small.additionals.length).to.be.within(1, 11);
    expect(ask('dozen.svc.test.', 'MX', 'tcp').additionals).to.have.length(12);
  });
});

describe('dns/server/responder: TSIG without keys (RFC 8945 §5.2)', () => {
  const zones = exampleZones();
  const key = makeTsigKey(Name.parse('some-key.'), new Uint8Array(32).fill(9), 'hmac-sha256');

  it('a signed query gets NOTAUTH with BADKEY and an empty MAC, its OPT answered', () => {
    for (const [edns, opcode] of [
      [undefined, 0],
      [EDNS, 0],
      [undefined, OPCODE.UPDATE],
    ] as const) {
      const query = signRequest(
        rawQuery({ flags: { ...baseFlags(), opcode }, ...(edns === undefined ? {} : { edns }) }),
        key,
        1_700_000_000,
      ).bytes;
      const out = responder().respond(query, 'udp', zones);
      const m = decodeOk(out);
      expect(m.flags).to.include({ qr: true, rcode: RCODE.NOTAUTH, aa: false, opcode });
      expect(m.answers).to.deep.equal([]);
      expect(m.edns === undefined).to.equal(edns === undefined);
      const located = locateTsig(out as Uint8Array);
      if (located.kind !== 'signed') expect.fail(located.kind);
      expect(located.record.keyName.toString()).to.equal('some-key.');
      expect(located.record.rdata).to.deep.include({
        error: 17,
        timeSigned: 1_700_000_000,
        originalId: 0x5151,
      });
      expect(located.record.rdata.mac).to.have.length(0);
    }
  });

  it('a TSIG that is not the last additional record is FORMERR', () => {
    const signed = signRequest(rawQuery({}), key, 1_700_000_000).bytes;
    const located = locateTsig(signed);
    if (located.kind !== 'signed') expect.fail(located.kind);
    const tsig = located.message.additionals[0];
    if (tsig === undefined) expect.fail('no TSIG');
    const glue = {
      name: Name.parse('x.example.'),
      type: 1,
      class: 1,
      ttl: 1,
      rdata: { kind: 'A', address: '192.0.2.9' },
    } as const;
    for (const query of [
      rawQuery({ additionals: [tsig, glue] }),
      rawQuery({ additionals: [tsig, tsig] }),
      rawQuery({ additionals: [tsig], edns: EDNS }),
      rawQuery({ answers: [tsig] }),
    ]) {
      const m = decodeOk(responder().respond(query, 'udp', zones));
      expect(m.flags.rcode).to.equal(RCODE.FORMERR);
      expect(m.additionals).to.deep.equal([]);
    }
  });
});
