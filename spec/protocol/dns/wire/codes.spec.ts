import { expect } from 'chai';
import {
  OPCODE,
  opcodeName,
  parseOpcode,
  parseRcode,
  parseRrClass,
  parseRrType,
  RCODE,
  RR_CLASS,
  RR_TYPE,
  rcodeName,
  rrClassName,
  rrTypeName,
} from '../../../../protocol/dns/wire/codes.js';

describe('dns/wire/codes', () => {
  it('has the IANA numbers', () => {
    expect(RR_TYPE).to.include({ A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28 });
    expect(RR_TYPE).to.include({ SRV: 33, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255, CAA: 257 });
    expect(RR_CLASS).to.include({ IN: 1, CH: 3, ANY: 255 });
    expect(RCODE).to.include({ NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, NOTZONE: 10 });
    expect(RCODE.BADVERS).to.equal(16);
    expect(OPCODE).to.deep.equal({ QUERY: 0, NOTIFY: 4, UPDATE: 5 });
  });

  it('maps numbers to names, with the RFC 3597 fallback for unnamed numbers', () => {
    expect(rrTypeName(28)).to.equal('AAAA');
    expect(rrTypeName(65534)).to.equal('TYPE65534');
    expect(rrClassName(1)).to.equal('IN');
    expect(rrClassName(32)).to.equal('CLASS32');
    expect(rcodeName(3)).to.equal('NXDOMAIN');
    expect(rcodeName(23)).to.equal('RCODE23');
    expect(opcodeName(5)).to.equal('UPDATE');
    expect(opcodeName(2)).to.equal('OPCODE2');
  });

  it('parses names case-insensitively and the generic form within range', () => {
    expect(parseRrType('mx')).to.equal(15);
    expect(parseRrType('TYPE65534')).to.equal(65534);
    expect(parseRrType('type1')).to.equal(1);
    expect(parseRrType('TYPE65536')).to.equal(undefined);
    expect(parseRrType('TYPE01')).to.equal(undefined);
    expect(parseRrType('BOGUS')).to.equal(undefined);
    expect(parseRrClass('in')).to.equal(1);
    expect(parseRrClass('CLASS255')).to.equal(255);
    expect(parseRcode('badvers')).to.equal(16);
    expect(parseOpcode('OPCODE16')).to.equal(undefined);
    expect(parseOpcode('notify')).to.equal(4);
  });

  it('every name round-trips', () => {
    for (const code of [...Object.values(RR_TYPE), 0, 65535, 4242])
      expect(parseRrType(rrTypeName(code))).to.equal(code);
    for (const code of Object.values(RCODE)) expect(parseRcode(rcodeName(code))).to.equal(code);
  });
});
