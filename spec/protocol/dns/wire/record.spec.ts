import { expect } from 'chai';
import { RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { rdataFromText } from '../../../../protocol/dns/wire/rdata.js';
import { makeRecord, questionToText, recordToText } from '../../../../protocol/dns/wire/record.js';

describe('dns/wire/record', () => {
  const owner = Name.parse('WwW.example.com.');

  it('prints records as dig 9.18 printed the same records off the wire', () => {
    // Each line is dig's answer section (tabs as spaces) for a response from this codec.
    const lines: Array<[number, string, string]> = [
      [RR_TYPE.A, '192.0.2.1', 'WwW.example.com. 300 IN A 192.0.2.1'],
      [RR_TYPE.AAAA, '2001:db8::1', 'WwW.example.com. 300 IN AAAA 2001:db8::1'],
      [RR_TYPE.MX, '10 mail.example.com.', 'WwW.example.com. 300 IN MX 10 mail.example.com.'],
      [
        RR_TYPE.TXT,
        '"hello \\"world\\"" "\\195\\169 semi;colon"',
        'WwW.example.com. 300 IN TXT "hello \\"world\\"" "\\195\\169 semi;colon"',
      ],
      [RR_TYPE.SRV, '0 5 5060 sip.example.com.', 'WwW.example.com. 300 IN SRV 0 5 5060 sip.example.com.'],
      [RR_TYPE.CAA, '128 issue "letsencrypt.org"', 'WwW.example.com. 300 IN CAA 128 issue "letsencrypt.org"'],
      [
        RR_TYPE.SOA,
        'ns1.example.com. hostmaster.example.com. 2024 7200 3600 1209600 300',
        'WwW.example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024 7200 3600 1209600 300',
      ],
      [65534, '\\# 3 010203', 'WwW.example.com. 300 IN TYPE65534 \\# 3 010203'],
    ];
    for (const [type, text, line] of lines) {
      const rdata = rdataFromText(type, text);
      if (!rdata.ok) expect.fail(rdata.error.message);
      expect(recordToText(makeRecord(owner, 300, rdata.rdata, { type }))).to.equal(line);
    }
  });

  it('makeRecord takes the type from the RDATA, and needs one for opaque RDATA', () => {
    const rr = makeRecord(owner, 60, { kind: 'A', address: '192.0.2.1' }, { rrClass: RR_CLASS.CH });
    expect(rr).to.include({ type: RR_TYPE.A, class: RR_CLASS.CH, ttl: 60 });
    expect(() => makeRecord(owner, 60, { kind: 'opaque', bytes: new Uint8Array(0) })).to.throw(TypeError);
  });

  it('prints questions with generic names for unknown codes', () => {
    expect(questionToText({ name: owner, type: 65534, class: 32 })).to.equal(
      'WwW.example.com. CLASS32 TYPE65534',
    );
  });
});
