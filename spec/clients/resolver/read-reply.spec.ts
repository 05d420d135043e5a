import { expect } from 'chai';
import { readReply } from '../../../clients/resolver/iterative-resolver.js';
import { RCODE } from '../../../protocol/dns/wire/codes.js';
import type { Message } from '../../../protocol/dns/wire/message.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { records } from '../../actors/dns/zone/helpers.js';

/** A reply with the given rcode, AA and sections (records relative to the root). */
function reply(
  options: {
    rcode?: number;
    aa?: boolean;
    answers?: string[];
    authorities?: string[];
    additionals?: string[];
  } = {},
): Message {
  return {
    id: 1,
    flags: {
      qr: true,
      opcode: 0,
      aa: options.aa ?? false,
      tc: false,
      rd: false,
      ra: false,
      ad: false,
      cd: false,
      rcode: options.rcode ?? RCODE.NOERROR,
    },
    questions: [],
    answers: records('.', options.answers ?? []),
    authorities: records('.', options.authorities ?? []),
    additionals: records('.', options.additionals ?? []),
  };
}

const www = Name.parse('www.example.org.');
const org = Name.parse('org.');

describe('clients/resolver: reading one reply (table)', () => {
  const soa = 'example.org. 300 SOA ns.example.org. h.example.org. 1 2 3 4 5';
  const table: ReadonlyArray<readonly [string, Message, Name, string]> = [
    ['data for the name', reply({ aa: true, answers: ['www.example.org. 300 A 192.0.2.1'] }), org, 'answer'],
    ['NXDOMAIN', reply({ rcode: RCODE.NXDOMAIN, aa: true, authorities: [soa] }), org, 'nxdomain'],
    ['AA without data', reply({ aa: true, authorities: [soa] }), org, 'nodata'],
    ['SOA without AA', reply({ authorities: [soa] }), org, 'nodata'],
    ['SERVFAIL', reply({ rcode: RCODE.SERVFAIL }), org, 'servfail'],
    ['REFUSED', reply({ rcode: RCODE.REFUSED }), org, 'lame'],
    ['FORMERR', reply({ rcode: RCODE.FORMERR }), org, 'lame'],
    ['nothing at all', reply(), org, 'lame'],
    ['data for another name only', reply({ answers: ['evil.org. 300 A 192.0.2.66'] }), org, 'lame'],
    [
      'a referral below the zone',
      reply({ authorities: ['example.org. 300 NS ns.example.org.'] }),
      org,
      'referral',
    ],
    [
      'an upward referral',
      reply({ authorities: ['org. 300 NS ns.org.'] }),
      Name.parse('example.org.'),
      'lame',
    ],
    ['a referral to the zone itself', reply({ authorities: ['org. 300 NS ns.org.'] }), org, 'sideways'],
    [
      'a referral not above the name',
      reply({ authorities: ['other.org. 300 NS ns.other.org.'] }),
      org,
      'lame',
    ],
  ];
  for (const [what, message, zone, verdict] of table)
    it(`${what} -> ${verdict}`, () => expect(readReply(message, www, zone).verdict).to.equal(verdict));

  it('keeps glue inside the bailiwick of the server that sent it, and only for the NS targets', () => {
    const reading = readReply(
      reply({
        authorities: [
          'example.org. 300 NS ns1.example.org.',
          'example.org. 300 NS ns2.example.net.',
          'example.org. 300 NS ns3.example.org.',
        ],
        additionals: [
          'ns1.example.org. 300 A 192.0.2.1',
          'ns1.example.org. 300 AAAA 2001:db8::1',
          'ns2.example.net. 300 A 192.0.2.2',
          'unrelated.org. 300 A 192.0.2.3',
        ],
      }),
      www,
      org,
    );
    if (reading.verdict !== 'referral') expect.fail(`a referral, got ${reading.verdict}`);
    expect(reading.cut.toString()).to.equal('example.org.');
    expect(reading.nameServers.map(String)).to.deep.equal([
      'ns1.example.org.',
      'ns2.example.net.',
      'ns3.example.org.',
    ]);
    expect([...reading.glue]).to.deep.equal([['ns1.example.org.', ['192.0.2.1', '2001:db8::1']]]);
  });
});
