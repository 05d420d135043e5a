import { expect } from 'chai';
import fc from 'fast-check';
import { RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { WireEncodeError } from '../../../../protocol/dns/wire/errors.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import {
  decodeRdata,
  encodeRdata,
  type Rdata,
  rdataFromText,
  rdataSize,
  rdataToText,
  rdataType,
} from '../../../../protocol/dns/wire/rdata.js';
import { opaqueTypeArb, rdataArbs } from './arbitraries.js';

const utf8 = new TextEncoder();
const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

function typeOf(rdata: Rdata): number {
  const type = rdataType(rdata);
  if (type === undefined) expect.fail('known RDATA has a type');
  return type;
}

function decoded(type: number, bytes: Uint8Array, offset?: number, length?: number, rrClass?: number): Rdata {
  const result = decodeRdata(type, bytes, offset, length, rrClass);
  if (!result.ok) expect.fail(`decode failed: ${result.error.message}`);
  return result.rdata;
}

function fromText(type: number, text: string, origin?: Name): Rdata {
  const result = rdataFromText(type, text, origin);
  if (!result.ok) expect.fail(`'${text}' should parse: ${result.error.message}`);
  return result.rdata;
}

function textError(type: number, text: string): string {
  const result = rdataFromText(type, text);
  if (result.ok) expect.fail(`'${text}' should be rejected, got ${JSON.stringify(result.rdata)}`);
  return result.error.message;
}

/** Wire: size exact, encode → decode → encode identical, also from inside a larger buffer. */
function wireRoundTrips(rdata: Rdata, type: number, offset: number): void {
  const bytes = encodeRdata(rdata);
  expect(bytes.length).to.equal(rdataSize(rdata));
  const back = decoded(type, bytes);
  expect(back).to.deep.equal(rdata);
  expect(encodeRdata(back)).to.deep.equal(bytes);
  const big = new Uint8Array(offset + bytes.length + 7).fill(0xc0);
  big.set(bytes, offset);
  expect(decoded(type, big, offset, bytes.length)).to.deep.equal(rdata);
}

describe('dns/wire/rdata', () => {
  describe('round trips for every type (property)', () => {
    for (const [kind, arb] of Object.entries(rdataArbs)) {
      it(`${kind}: wire (also at an offset) and presentation format`, () => {
        fc.assert(
          fc.property(arb, fc.nat(300), (rdata, offset) => {
            wireRoundTrips(rdata, typeOf(rdata), offset);
            expect(fromText(typeOf(rdata), rdataToText(rdata))).to.deep.equal(rdata);
          }),
          { numRuns: 300 },
        );
      });
    }

    it('opaque (RFC 3597): wire and `\\# len hex` presentation for types without a codec', () => {
      fc.assert(
        fc.property(opaqueTypeArb, fc.uint8Array({ maxLength: 300 }), fc.nat(100), (type, bytes, offset) => {
          const rdata: Rdata = { kind: 'opaque', bytes };
          wireRoundTrips(rdata, type, offset);
          expect(fromText(type, rdataToText(rdata))).to.deep.equal(rdata);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('golden wire forms', () => {
    it('encodes each type as RFC 1035/3596/2782/8659 lay it out', () => {
      const n = Name.parse('a.b.');
      const nameBytes = '01610162' + '00';
      const cases: Array<[Rdata, string]> = [
        [{ kind: 'A', address: '192.0.2.1' }, 'c0000201'],
        [{ kind: 'AAAA', address: '2001:db8::1' }, '20010db8000000000000000000000001'],
        [{ kind: 'NS', target: n }, nameBytes],
        [{ kind: 'MX', preference: 10, exchange: n }, '000a' + nameBytes],
        [{ kind: 'TXT', strings: [utf8.encode('hi'), new Uint8Array(0)] }, '02686900'],
        [
          {
            kind: 'SOA',
            mname: n,
            rname: n,
            serial: 1,
            refresh: 2,
            retry: 3,
            expire: 4,
            minimum: 0xffffffff,
          },
          nameBytes + nameBytes + '00000001' + '00000002' + '00000003' + '00000004' + 'ffffffff',
        ],
        [{ kind: 'SRV', priority: 1, weight: 2, port: 443, target: n }, '0001000201bb' + nameBytes],
        [
          { kind: 'CAA', flags: 128, tag: 'issue', value: utf8.encode('ca.net') },
          '80056973737565' + '63612e6e6574',
        ],
      ];
      for (const [rdata, expected] of cases)
        expect(encodeRdata(rdata), rdata.kind).to.deep.equal(hex(expected));
    });
  });

  describe('decoding checks the format', () => {
    const problem = (type: number, bytes: Uint8Array, rrClass?: number) => {
      const result = decodeRdata(type, bytes, 0, bytes.length, rrClass);
      if (result.ok) expect.fail(`expected a decode error, got ${JSON.stringify(result.rdata)}`);
      expect(result.error.code).to.equal('FORMERR');
      return result.error.problem;
    };

    it('rejects wrong lengths, short fields, extra bytes and bad CAA tags', () => {
      expect(problem(RR_TYPE.A, hex('c00002'))).to.equal('bad-rdata');
      expect(problem(RR_TYPE.A, hex('c000020101'))).to.equal('bad-rdata');
      expect(problem(RR_TYPE.AAAA, hex('c0000201'))).to.equal('bad-rdata');
      expect(problem(RR_TYPE.MX, hex('000a016100ff'))).to.equal('bad-rdata');
      expect(problem(RR_TYPE.MX, hex('000a0161'))).to.equal('bad-rdata');
      expect(problem(RR_TYPE.TXT, hex('0361'))).to.equal('bad-rdata');
      expect(problem(RR_TYPE.TXT, new Uint8Array(0))).to.equal('bad-rdata');
      expect(problem(RR_TYPE.SOA, hex('0000000000'))).to.equal('bad-rdata');
      expect(problem(RR_TYPE.CAA, hex('0000'))).to.equal('bad-rdata');
      expect(problem(RR_TYPE.CAA, hex('00026121'))).to.equal('bad-rdata');
    });

    it('rejects compression pointers when there is no message around the RDATA', () => {
      expect(problem(RR_TYPE.MX, hex('000ac000'))).to.equal('bad-pointer');
      expect(problem(RR_TYPE.NS, hex('0161c000'))).to.equal('pointer-loop');
      expect(problem(RR_TYPE.NS, hex('0161c003'))).to.equal('forward-pointer');
    });

    it('empty RDATA in class ANY or NONE is the opaque UPDATE form (RFC 2136 §2.5)', () => {
      const empty = new Uint8Array(0);
      for (const rrClass of [RR_CLASS.ANY, RR_CLASS.NONE])
        expect(decoded(RR_TYPE.A, empty, 0, 0, rrClass)).to.deep.equal({ kind: 'opaque', bytes: empty });
      expect(problem(RR_TYPE.A, empty, RR_CLASS.IN)).to.equal('bad-rdata');
    });

    it('rejects a region outside the buffer', () => {
      expect(decodeRdata(RR_TYPE.A, new Uint8Array(4), 2, 4).ok).to.equal(false);
    });
  });

  describe('encoding checks values', () => {
    it('throws WireEncodeError for values without a wire form', () => {
      const bad: Rdata[] = [
        { kind: 'A', address: '1.2.3' },
        { kind: 'AAAA', address: '1.2.3.4' },
        { kind: 'MX', preference: 65536, exchange: Name.ROOT },
        { kind: 'TXT', strings: [] },
        { kind: 'TXT', strings: [new Uint8Array(256)] },
        { kind: 'SRV', priority: -1, weight: 0, port: 0, target: Name.ROOT },
        {
          kind: 'SOA',
          mname: Name.ROOT,
          rname: Name.ROOT,
          serial: 2 ** 32,
          refresh: 0,
          retry: 0,
          expire: 0,
          minimum: 0,
        },
        { kind: 'CAA', flags: 0, tag: 'is-sue', value: new Uint8Array(0) },
        { kind: 'CAA', flags: 256, tag: 'issue', value: new Uint8Array(0) },
      ];
      for (const rdata of bad)
        expect(() => encodeRdata(rdata), JSON.stringify(rdata)).to.throw(WireEncodeError);
    });
  });

  describe('presentation format', () => {
    const origin = Name.parse('example.com.');

    it('reads and prints each type as zone files and dig do', () => {
      const cases: Array<[number, string, string?]> = [
        [RR_TYPE.A, '192.0.2.1'],
        [RR_TYPE.AAAA, '2001:DB8:0:0::1', '2001:db8::1'],
        [RR_TYPE.NS, 'ns1', 'ns1.example.com.'],
        [RR_TYPE.CNAME, 'www.example.net.'],
        [RR_TYPE.PTR, '@', 'example.com.'],
        [RR_TYPE.MX, '10   mail', '10 mail.example.com.'],
        [RR_TYPE.TXT, 'v=spf1 "-all"', '"v=spf1" "-all"'],
        [
          RR_TYPE.SOA,
          'ns1 hostmaster 2024010101 7200 3600 1209600 300',
          'ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300',
        ],
        [RR_TYPE.SRV, '0 5 5060 sip.example.com.'],
        [RR_TYPE.CAA, '0 issue "letsencrypt.org"'],
        [RR_TYPE.CAA, '128 iodef mailto:security@example.com', '128 iodef "mailto:security@example.com"'],
      ];
      for (const [type, text, printed] of cases)
        expect(rdataToText(fromText(type, text, origin)), text).to.equal(printed ?? text);
    });

    it('TXT: quotes, backslash escapes, \\DDD and UTF-8', () => {
      const rdata = fromText(RR_TYPE.TXT, '"say \\"hi\\"" back\\\\slash "\\065\\000" "" "é" \\;x');
      if (rdata.kind !== 'TXT') expect.fail('TXT');
      const texts = rdata.strings.map((s) => Array.from(s));
      expect(texts).to.deep.equal([
        Array.from(utf8.encode('say "hi"')),
        Array.from(utf8.encode('back\\slash')),
        [65, 0],
        [],
        [0xc3, 0xa9],
        Array.from(utf8.encode(';x')),
      ]);
      expect(rdataToText(rdata)).to.equal('"say \\"hi\\"" "back\\\\slash" "A\\000" "" "\\195\\169" ";x"');
    });

    it('TXT: one string holds at most 255 octets', () => {
      expect(() => fromText(RR_TYPE.TXT, `"${'a'.repeat(255)}"`)).not.to.throw();
      expect(textError(RR_TYPE.TXT, `"${'a'.repeat(256)}"`)).to.match(/255/);
      expect(textError(RR_TYPE.TXT, '')).to.match(/at least one/);
      expect(textError(RR_TYPE.TXT, '"open')).to.match(/unterminated/);
    });

    it('RFC 3597: unknown types print as \\# and known types accept it', () => {
      expect(rdataToText({ kind: 'opaque', bytes: hex('0a000001') })).to.equal('\\# 4 0A000001');
      expect(rdataToText({ kind: 'opaque', bytes: new Uint8Array(0) })).to.equal('\\# 0');
      expect(fromText(65534, '\\# 4 0A 00 00 01')).to.deep.equal({ kind: 'opaque', bytes: hex('0a000001') });
      expect(fromText(RR_TYPE.A, '\\# 4 0A000001')).to.deep.equal({ kind: 'A', address: '10.0.0.1' });
      expect(fromText(RR_TYPE.A, '\\# 0')).to.deep.equal({ kind: 'opaque', bytes: new Uint8Array(0) });
      expect(textError(RR_TYPE.A, '\\# 3 0A0000')).to.match(/not valid A/);
      expect(textError(65534, '\\# 4 0A00')).to.match(/length 4/);
      expect(textError(65534, '\\# 1 0G')).to.match(/hex/);
      expect(textError(65534, '01 02')).to.match(/\\#/);
    });

    it('rejects missing, extra and out-of-range fields', () => {
      expect(textError(RR_TYPE.A, '192.0.2.1 192.0.2.2')).to.match(/1 fields/);
      expect(textError(RR_TYPE.A, '192.0.2')).to.match(/not an A address/);
      expect(textError(RR_TYPE.MX, 'mail.example.com.')).to.match(/2 fields/);
      expect(textError(RR_TYPE.MX, '65536 mail.')).to.match(/exceeds/);
      expect(textError(RR_TYPE.MX, '-1 mail.')).to.match(/decimal/);
      expect(textError(RR_TYPE.SOA, 'a. b. 1 2 3 4')).to.match(/7 fields/);
      expect(textError(RR_TYPE.SRV, '1 2 3 a..b.')).to.match(/empty label/);
      expect(textError(RR_TYPE.CAA, '0 "issue" "x"')).to.match(/tag/);
      expect(textError(RR_TYPE.CAA, '0 is_sue "x"')).to.match(/tag/);
    });
  });
});
