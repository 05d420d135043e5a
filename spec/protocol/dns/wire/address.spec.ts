import { expect } from 'chai';
import fc from 'fast-check';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../../../../protocol/dns/wire/address.js';

function v6(text: string): string {
  const bytes = parseIpv6(text);
  if (bytes === undefined) expect.fail(`'${text}' should parse`);
  return formatIpv6(bytes);
}

describe('dns/wire/address', () => {
  it('IPv4: strict dotted quads', () => {
    expect(parseIpv4('192.0.2.1')).to.deep.equal(Uint8Array.of(192, 0, 2, 1));
    for (const bad of ['192.0.2', '192.0.2.256', '01.2.3.4', '1.2.3.4.', ' 1.2.3.4', '1.2.3.-4'])
      expect(parseIpv4(bad), bad).to.equal(undefined);
    expect(formatIpv4(Uint8Array.of(0, 255, 10, 1))).to.equal('0.255.10.1');
  });

  it('IPv6: prints the RFC 5952 canonical form', () => {
    expect(v6('2001:0DB8:0:0:0:0:0:1')).to.equal('2001:db8::1');
    expect(v6('2001:db8:0:0:1:0:0:1')).to.equal('2001:db8::1:0:0:1');
    expect(v6('2001:db8:0:1:1:1:1:1')).to.equal('2001:db8:0:1:1:1:1:1');
    expect(v6('2001:0:0:1:0:0:0:1')).to.equal('2001:0:0:1::1');
    expect(v6('::')).to.equal('::');
    expect(v6('::1')).to.equal('::1');
    expect(v6('1::')).to.equal('1::');
    expect(v6('::ffff:192.0.2.1')).to.equal('::ffff:192.0.2.1');
    expect(v6('64:ff9b::192.0.2.33')).to.equal('64:ff9b::c000:221');
  });

  it('IPv6: rejects malformed text', () => {
    for (const bad of [
      '',
      ':',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      ':1::',
      '12345::',
      'g::',
      '::1.2.3',
      '1:2:3:4:5:6:7::8:9',
    ])
      expect(parseIpv6(bad), bad).to.equal(undefined);
  });

  it('property: IPv6 agrees with the WHATWG URL host parser (which also compresses per RFC 5952)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const bytes = parseIpv6(text);
        expect(bytes, text).to.not.equal(undefined);
        const ours = formatIpv6(bytes as Uint8Array);
        expect(parseIpv6(ours)).to.deep.equal(bytes);
        if (!ours.startsWith('::ffff:')) expect(`[${ours}]`).to.equal(new URL(`http://[${text}]/`).hostname);
      }),
      { numRuns: 1000 },
    );
  });
});
