import { expect } from 'chai';
import fc from 'fast-check';
import { RCODE, RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { WireEncodeError } from '../../../../protocol/dns/wire/errors.js';
import {
  decodeMessage,
  type EncodeOptions,
  encodeMessage,
  firstQuestionType,
  fullRcode,
  type Message,
  type MessageFlags,
  messageSize,
  peekQuestion,
} from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { makeRecord, type ResourceRecord } from '../../../../protocol/dns/wire/record.js';
import { messageArb } from './arbitraries.js';

/** Bytes from hex, ignoring spaces (so golden bytes can be laid out field by field). */
function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  return Uint8Array.from(digits.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

const QUERY_FLAGS: MessageFlags = {
  qr: false,
  opcode: 0,
  aa: false,
  tc: false,
  rd: true,
  ra: false,
  ad: false,
  cd: false,
  rcode: 0,
};
const ANSWER_FLAGS: MessageFlags = { ...QUERY_FLAGS, qr: true, aa: true };

function message(parts: Partial<Message>): Message {
  return {
    id: 0x1234,
    flags: QUERY_FLAGS,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
    ...parts,
  };
}

function decoded(bytes: Uint8Array): Message {
  const result = decodeMessage(bytes);
  if (!result.ok) expect.fail(`decode failed: ${JSON.stringify(result.error)}`);
  return result.message;
}

function encode(m: Message, options: EncodeOptions = { compress: true }): Uint8Array {
  return encodeMessage(m, options).bytes;
}

const a = (name: string, address: string, ttl = 300) =>
  makeRecord(Name.parse(name), ttl, { kind: 'A', address });

describe('dns/wire/message', () => {
  describe('golden bytes (RFC 1035 §4.1)', () => {
    const exampleQuery = message({
      questions: [{ name: Name.parse('example.com.'), type: RR_TYPE.A, class: RR_CLASS.IN }],
    });
    const queryBytes = hex(`
      1234 0100 0001 0000 0000 0000
      07 6578616d706c65 03 636f6d 00  0001 0001`);

    it('a query: header, counts, one question', () => {
      expect(encode(exampleQuery)).to.deep.equal(queryBytes);
      expect(decoded(queryBytes)).to.deep.equal(exampleQuery);
    });

    it('an answer whose owner is a pointer to the question (c00c)', () => {
      const response = message({
        flags: { ...ANSWER_FLAGS, ra: true },
        questions: exampleQuery.questions,
        answers: [a('example.com.', '93.184.216.34')],
      });
      const bytes = hex(`
        1234 8580 0001 0001 0000 0000
        07 6578616d706c65 03 636f6d 00  0001 0001
        c00c  0001 0001 0000012c 0004 5db8d822`);
      expect(encode(response)).to.deep.equal(bytes);
      expect(decoded(bytes)).to.deep.equal(response);
    });

    it('the RFC 1035 §4.1.4 example: F.ISI.ARPA, FOO.F.ISI.ARPA and ARPA share suffixes', () => {
      const cname = (owner: string, target: string) =>
        makeRecord(Name.parse(owner), 0, { kind: 'CNAME', target: Name.parse(target) });
      const m = message({
        questions: [{ name: Name.parse('F.ISI.ARPA.'), type: RR_TYPE.CNAME, class: RR_CLASS.IN }],
        answers: [cname('FOO.F.ISI.ARPA.', 'ARPA.')],
      });
      // F.ISI.ARPA at 12 (ISI at 14, ARPA at 18); FOO.F.ISI.ARPA is FOO + pointer to 12;
      // ARPA in the RDATA is a pointer to 18.
      const bytes = hex(`
        1234 0100 0001 0001 0000 0000
        01 46 03 495349 04 41525041 00  0005 0001
        03 464f4f c00c  0005 0001 00000000 0002  c012`);
      expect(encode(m)).to.deep.equal(bytes);
      expect(decoded(bytes)).to.deep.equal(m);
      const plain = encode(m, { compress: false });
      expect(plain.length).to.equal(messageSize(m));
      expect(decoded(plain)).to.deep.equal(m);
    });

    it('an EDNS query as dig 9 sends it (OPT with payload 1232, a COOKIE option)', () => {
      // Captured from `dig @127.0.0.1 -p 15353 WwW.example.com A` (BIND 9.18.49): RD and
      // AD set, the question's case as typed, a client cookie.
      const bytes = hex(`
        672d 0120 0001 0000 0000 0001
        03 577757 07 6578616d706c65 03 636f6d 00  0001 0001
        00 0029 04d0 00000000 000c  000a 0008 0e8e42f6c98604e3`);
      const m = decoded(bytes);
      expect(m.id).to.equal(0x672d);
      expect(m.flags).to.deep.equal({ ...QUERY_FLAGS, ad: true });
      expect(m.questions[0]?.name.toString()).to.equal('WwW.example.com.');
      expect(m.additionals).to.deep.equal([]);
      expect(m.edns).to.deep.equal({
        udpPayloadSize: 1232,
        extendedRcode: 0,
        version: 0,
        dnssecOk: false,
        options: [{ code: 10, data: hex('0e8e42f6c98604e3') }],
      });
      expect(encode(m)).to.deep.equal(bytes);
    });

    it('extended rcodes: BADVERS is header 0 plus EDNS upper bits 1', () => {
      const m = message({
        flags: { ...ANSWER_FLAGS, rcode: 0 },
        edns: { udpPayloadSize: 1232, extendedRcode: 1, version: 0, dnssecOk: true, options: [] },
      });
      const bytes = encode(m);
      expect(bytes.subarray(12)).to.deep.equal(hex('00 0029 04d0 01008000 0000'));
      expect(fullRcode(decoded(bytes))).to.equal(RCODE.BADVERS);
    });
  });

  describe('round trips (property)', () => {
    for (const compress of [true, false]) {
      it(`encode → decode → encode is byte-identical (compress: ${compress}), also inside a larger buffer`, () => {
        fc.assert(
          fc.property(messageArb, fc.nat(64), (m, offset) => {
            const result = encodeMessage(m, { compress });
            expect(result.droppedRecords).to.equal(0);
            expect(result.truncated).to.equal(m.flags.tc);
            const bytes = result.bytes;
            if (!compress) expect(bytes.length).to.equal(messageSize(m));
            else expect(bytes.length).to.be.at.most(messageSize(m));
            const back = decoded(bytes);
            expect(back).to.deep.equal(m);
            expect(encode(back, { compress })).to.deep.equal(bytes);
            const big = new Uint8Array(offset + bytes.length + 9).fill(0xc0);
            big.set(bytes, offset);
            expect(decoded(big.subarray(offset, offset + bytes.length))).to.deep.equal(m);
          }),
          { numRuns: 400 },
        );
      });
    }
  });

  describe('compression (RFC 1035 §4.1.4)', () => {
    const zone = 'svc.example.com.';
    const big = message({
      flags: ANSWER_FLAGS,
      questions: [{ name: Name.parse(`hosts.${zone}`), type: RR_TYPE.A, class: RR_CLASS.IN }],
      answers: Array.from({ length: 40 }, (_, i) => a(`host-${i}.${zone}`, `10.0.0.${i}`)),
      authorities: ['ns1', 'ns2'].map((ns) =>
        makeRecord(Name.parse(zone), 3600, { kind: 'NS', target: Name.parse(`${ns}.${zone}`) }),
      ),
    });

    it('a message with many names under one zone is much smaller, and decodes to the same names', () => {
      const compressed = encode(big);
      const plain = encode(big, { compress: false });
      expect(compressed.length).to.be.below(plain.length * 0.65);
      expect(decoded(compressed)).to.deep.equal(big);
      expect(decoded(plain)).to.deep.equal(big);
    });

    it('matches case-sensitively, so every name decodes with the case it was given', () => {
      const m = message({
        questions: [{ name: Name.parse('WwW.ExAmPlE.CoM.'), type: RR_TYPE.A, class: RR_CLASS.IN }],
        answers: [a('www.example.com.', '192.0.2.1'), a('WwW.ExAmPlE.CoM.', '192.0.2.2')],
      });
      const back = decoded(encode(m));
      expect(back.answers.map((rr) => rr.name.toString())).to.deep.equal([
        'www.example.com.',
        'WwW.ExAmPlE.CoM.',
      ]);
      // The second answer is a bare pointer to the question.
      expect(encode(m).subarray(-16, -14)).to.deep.equal(hex('c00c'));
    });

    it('does not compress the SRV target (RFC 2782), but does compress MX and SOA names', () => {
      const owner = Name.parse('_sip._tcp.example.com.');
      const target = Name.parse('sip.example.com.');
      const srv = makeRecord(owner, 60, { kind: 'SRV', priority: 0, weight: 0, port: 5060, target });
      const mx = makeRecord(owner, 60, { kind: 'MX', preference: 0, exchange: target });
      const withSrv = encode(message({ answers: [mx, srv] }));
      // MX exchange: `sip` + pointer (4 + 2 bytes); SRV target in full (17 bytes).
      const mxRdLength =
        (withSrv[12 + owner.wireLength + 8] as number) * 256 + (withSrv[12 + owner.wireLength + 9] as number);
      expect(mxRdLength).to.equal(2 + 4 + 2);
      expect(withSrv.subarray(withSrv.length - target.wireLength)).to.deep.equal(
        hex('03736970 076578616d706c65 03636f6d 00'),
      );
    });
  });

  describe('truncation (RFC 2181 §9, RFC 1035 §4.1.1)', () => {
    const many = (count: number, prefix: string): ResourceRecord[] =>
      Array.from({ length: count }, (_, i) => a(`${prefix}-${i}.example.com.`, `192.0.2.${i % 256}`));
    const question = [{ name: Name.parse('example.com.'), type: RR_TYPE.A, class: RR_CLASS.IN }];

    it('drops answers from the end and sets TC when answers do not fit', () => {
      const m = message({ flags: ANSWER_FLAGS, questions: question, answers: many(60, 'a') });
      const result = encodeMessage(m, { compress: true, maxBytes: 512 });
      expect(result.bytes.length).to.be.at.most(512);
      expect(result.truncated).to.equal(true);
      const back = decoded(result.bytes);
      expect(back.flags.tc).to.equal(true);
      expect(back.answers).to.deep.equal(m.answers.slice(0, back.answers.length));
      expect(result.droppedRecords).to.equal(60 - back.answers.length);
      expect(back.answers.length).to.be.greaterThan(10);
    });

    it('drops optional additional records without setting TC', () => {
      const m = message({
        flags: ANSWER_FLAGS,
        questions: question,
        answers: many(5, 'a'),
        additionals: many(60, 'extra'),
      });
      const result = encodeMessage(m, { compress: true, maxBytes: 512 });
      expect(result.truncated).to.equal(false);
      expect(result.droppedRecords).to.be.greaterThan(0);
      const back = decoded(result.bytes);
      expect(back.flags.tc).to.equal(false);
      expect(back.answers).to.deep.equal(m.answers);
      expect(back.additionals).to.deep.equal(m.additionals.slice(0, back.additionals.length));
    });

    it('sets TC when required glue (the first requiredAdditionals) is dropped (RFC 9471)', () => {
      const referral = message({
        flags: { ...ANSWER_FLAGS, aa: false },
        questions: question,
        authorities: many(3, 'ns'),
        additionals: many(60, 'glue'),
      });
      const fits = encodeMessage(referral, { compress: true, maxBytes: 512, requiredAdditionals: 5 });
      expect(fits.truncated).to.equal(false);
      const short = encodeMessage(referral, { compress: true, maxBytes: 512, requiredAdditionals: 50 });
      expect(short.truncated).to.equal(true);
      expect(decoded(short.bytes).flags.tc).to.equal(true);
    });

    it('drops authority records before answers, and keeps OPT in the truncated message', () => {
      const m = message({
        flags: ANSWER_FLAGS,
        questions: question,
        answers: many(10, 'a'),
        authorities: many(30, 'auth'),
        edns: { udpPayloadSize: 1232, extendedRcode: 0, version: 0, dnssecOk: false, options: [] },
      });
      const result = encodeMessage(m, { compress: true, maxBytes: 512 });
      const back = decoded(result.bytes);
      expect(result.bytes.length).to.be.at.most(512);
      expect(back.answers).to.deep.equal(m.answers);
      expect(back.authorities.length).to.be.below(30);
      expect(back.flags.tc).to.equal(true);
      expect(back.edns).to.deep.equal(m.edns);
    });

    it('counts compression: a message that fits only compressed is not truncated', () => {
      const m = message({ flags: ANSWER_FLAGS, questions: question, answers: many(12, 'long-name-here') });
      expect(messageSize(m)).to.be.greaterThan(512);
      const result = encodeMessage(m, { compress: true, maxBytes: 512 });
      expect(result.truncated).to.equal(false);
      expect(result.droppedRecords).to.equal(0);
      expect(decoded(result.bytes)).to.deep.equal(m);
    });

    it('throws when the header, questions and OPT alone exceed maxBytes', () => {
      const m = message({ questions: question });
      expect(() => encodeMessage(m, { compress: true, maxBytes: 20 })).to.throw(WireEncodeError, /maxBytes/);
      expect(() => encodeMessage(m, { compress: true, maxBytes: 5 })).to.throw(WireEncodeError);
    });

    it('property: the kept records are the longest prefix that fits, and decode cleanly', () => {
      fc.assert(
        fc.property(messageArb, fc.integer({ min: 12, max: 1500 }), fc.nat(4), (m, maxBytes, required) => {
          const bare = encode({ ...m, answers: [], authorities: [], additionals: [] });
          if (bare.length > maxBytes) {
            expect(() => encodeMessage(m, { compress: true, maxBytes })).to.throw(WireEncodeError);
            return;
          }
          const result = encodeMessage(m, { compress: true, maxBytes, requiredAdditionals: required });
          expect(result.bytes.length).to.be.at.most(maxBytes);
          const back = decoded(result.bytes);
          const all = [...m.answers, ...m.authorities, ...m.additionals];
          const kept = [...back.answers, ...back.authorities, ...back.additionals];
          expect(kept).to.deep.equal(all.slice(0, kept.length));
          expect(result.droppedRecords).to.equal(all.length - kept.length);
          const requiredCount =
            m.answers.length + m.authorities.length + Math.min(required, m.additionals.length);
          expect(back.flags.tc).to.equal(m.flags.tc || kept.length < requiredCount);
          expect(result.truncated).to.equal(back.flags.tc);
          expect(back.edns).to.deep.equal(m.edns);
          if (result.droppedRecords > 0) {
            // The prefix one record longer would not have fitted.
            const k = kept.length + 1;
            const [an, ns] = [m.answers.length, m.answers.length + m.authorities.length];
            const longer = encode({
              ...m,
              answers: all.slice(0, Math.min(k, an)),
              authorities: all.slice(an, Math.max(an, Math.min(k, ns))),
              additionals: all.slice(ns, Math.max(ns, k)),
            });
            expect(longer.length).to.be.above(maxBytes);
          }
        }),
        { numRuns: 400 },
      );
    });
  });

  describe('decoding errors are FORMERR values', () => {
    const header = (counts: string, id = '1234') => `${id} 0100 ${counts}`;
    const root = '00 0001 0001';
    const problem = (bytes: Uint8Array) => {
      const result = decodeMessage(bytes);
      if (result.ok) expect.fail(`expected a decode error, got ${JSON.stringify(result.message)}`);
      expect(result.error.code).to.equal('FORMERR');
      return result.error;
    };

    it('a short header has no id to answer to', () => {
      const error = problem(hex('1234 0100 0001'));
      expect(error.problem).to.equal('short-header');
      expect(error).to.not.have.property('id');
    });

    it('every later error carries the id, so the FORMERR response can echo it', () => {
      const error = problem(hex(`${header('0001 0000 0000 0000', 'beef')} 07 6578616d`));
      expect(error).to.include({ problem: 'truncated', id: 0xbeef });
      expect(error.offset).to.be.greaterThan(11);
    });

    it('counts that exceed the data are rejected before reading records', () => {
      expect(problem(hex(`${header('0001 ffff 0000 0000')} ${root}`)).problem).to.equal('count-exceeds-data');
      expect(problem(hex(`${header('0002 0000 0000 0000')} ${root}`)).problem).to.equal('count-exceeds-data');
    });

    it('trailing bytes after the last record are rejected', () => {
      expect(problem(hex(`${header('0001 0000 0000 0000')} ${root} 00`))).to.include({
        problem: 'trailing-bytes',
        offset: 17,
      });
    });

    it('pointer loops, forward pointers, pointers into the header', () => {
      // Question name `a` then a pointer back to its own start: a loop.
      expect(problem(hex(`${header('0001 0000 0000 0000')} 0161 c00c 0001 0001`)).problem).to.equal(
        'pointer-loop',
      );
      expect(problem(hex(`${header('0001 0000 0000 0000')} c00c 0001 0001`)).problem).to.equal(
        'forward-pointer',
      );
      expect(problem(hex(`${header('0001 0000 0000 0000')} c020 0001 0001`)).problem).to.equal(
        'forward-pointer',
      );
      expect(problem(hex(`${header('0001 0000 0000 0000')} 0161 c004 0001 0001`)).problem).to.equal(
        'bad-pointer',
      );
      // Two names pointing into each other: the second points into the first, whose
      // pointer points into the second.
      const twoNames = hex(`${header('0002 0000 0000 0000')} 0161 c015 0001 0001  0162 c00e 0001 0001`);
      expect(problem(twoNames).problem).to.equal('forward-pointer');
    });

    it('a chain of more than 128 pointers is a loop', () => {
      // An opaque record whose RDATA is a chain of pointers, each to the one before; the
      // next record's owner points at the end of the chain.
      const chain = 200;
      const start = 12 + 5 + 11; // after the header, a root question and the record's fixed part
      let rdata = 'c00c';
      for (let i = 1; i < chain; i++) rdata += (0xc000 | (start + 2 * (i - 1))).toString(16);
      const bytes = hex(
        `${header('0001 0002 0000 0000')} ${root}  00 ff00 0001 00000000 ${(2 * chain).toString(16).padStart(4, '0')} ${rdata}` +
          `  ${(0xc000 | (start + 2 * (chain - 1))).toString(16)} 0001 0001 00000000 0004 01020304`,
      );
      expect(problem(bytes).problem).to.equal('pointer-loop');
      const shortChain = hex(
        `${header('0001 0002 0000 0000')} ${root}  00 ff00 0001 00000000 0004 c00c ${(0xc000 | start).toString(16)}` +
          `  ${(0xc000 | (start + 2)).toString(16)} 0001 0001 00000000 0004 01020304`,
      );
      expect(decoded(shortChain).answers[1]?.name).to.equal(Name.ROOT);
    });

    it('label types 01 and 10, names over 255 octets', () => {
      expect(problem(hex(`${header('0001 0000 0000 0000')} 4161 00 0001 0001`)).problem).to.equal(
        'bad-label-type',
      );
      expect(problem(hex(`${header('0001 0000 0000 0000')} 8161 00 0001 0001`)).problem).to.equal(
        'bad-label-type',
      );
      const label = `3f${'61'.repeat(63)}`;
      const long = hex(`${header('0001 0000 0000 0000')} ${label.repeat(4)} 00 0001 0001`);
      expect(problem(long).problem).to.equal('name-too-long');
      // Exactly 255 octets: three 63-octet labels and a 61-octet one.
      const okName = `${label.repeat(3)} 3d${'61'.repeat(61)} 00`;
      expect(
        decoded(hex(`${header('0001 0000 0000 0000')} ${okName} 0001 0001`)).questions[0]?.name.wireLength,
      ).to.equal(255);
    });

    it('RDATA past the end of the message, or not of its type', () => {
      const rr = (type: string, rdata: string, rdlength?: number) =>
        `00 ${type} 0001 00000000 ${(rdlength ?? rdata.replace(/\s/g, '').length / 2).toString(16).padStart(4, '0')} ${rdata}`;
      expect(problem(hex(`${header('0000 0001 0000 0000')} ${rr('0001', '01020304', 5)}`)).problem).to.equal(
        'truncated',
      );
      expect(problem(hex(`${header('0000 0001 0000 0000')} ${rr('0001', '0102030405')}`)).problem).to.equal(
        'bad-rdata',
      );
      expect(problem(hex(`${header('0000 0001 0000 0000')} ${rr('000f', '000a 0161')}`)).problem).to.equal(
        'bad-rdata',
      );
    });

    it('OPT: only one, only in the additional section, only owned by the root (RFC 6891 §6.1.1)', () => {
      const opt = '00 0029 04d0 00000000 0000';
      expect(problem(hex(`${header('0000 0001 0000 0000')} ${opt}`)).problem).to.equal('bad-opt');
      expect(problem(hex(`${header('0000 0000 0001 0000')} ${opt}`)).problem).to.equal('bad-opt');
      expect(problem(hex(`${header('0000 0000 0000 0002')} ${opt} ${opt}`)).problem).to.equal('multiple-opt');
      expect(
        problem(hex(`${header('0000 0000 0000 0001')} 0161 00 0029 04d0 00000000 0000`)).problem,
      ).to.equal('bad-opt');
      expect(
        problem(hex(`${header('0000 0000 0000 0001')} 00 0029 04d0 00000000 0003 000a00`)).problem,
      ).to.equal('bad-opt');
      expect(
        problem(hex(`${header('0000 0000 0000 0001')} 00 0029 04d0 00000000 0004 000a0001`)).problem,
      ).to.equal('bad-opt');
    });

    it('RFC 2136 UPDATE deletions decode with empty opaque RDATA', () => {
      const del = hex(`2222 2800 0001 0000 0001 0000
        07 6578616d706c65 03 636f6d 00 0006 0001
        03 777777 c00c 0001 00ff 00000000 0000`);
      const m = decoded(del);
      expect(m.flags.opcode).to.equal(5);
      expect(m.authorities[0]).to.deep.include({ type: RR_TYPE.A, class: RR_CLASS.ANY, ttl: 0 });
      expect(m.authorities[0]?.rdata).to.deep.equal({ kind: 'opaque', bytes: new Uint8Array(0) });
      expect(encode(m)).to.deep.equal(del);
    });
  });

  describe('peekQuestion (hot path)', () => {
    it('reads the id, flags and first question only', () => {
      const bytes = encode(
        message({
          questions: [{ name: Name.parse('Www.Example.com.'), type: RR_TYPE.AAAA, class: RR_CLASS.IN }],
          answers: [a('x.example.com.', '192.0.2.1')],
        }),
      );
      const peek = peekQuestion(bytes);
      if (!peek.ok) expect.fail('peek failed');
      expect(peek.peek.id).to.equal(0x1234);
      expect(peek.peek.flags).to.deep.equal(QUERY_FLAGS);
      expect(peek.peek.questionCount).to.equal(1);
      expect(peek.peek.question?.name.toString()).to.equal('Www.Example.com.');
      expect(peek.peek.question?.type).to.equal(RR_TYPE.AAAA);
      // Whatever follows the question is not looked at.
      const garbage = new Uint8Array(bytes.length + 3);
      garbage.set(bytes);
      expect(peekQuestion(garbage.subarray(0, 12 + 17 + 4)).ok).to.equal(true);
    });

    it('reports errors with the id when the header was readable', () => {
      const short = peekQuestion(hex('1234'));
      expect(short.ok).to.equal(false);
      const bad = peekQuestion(hex('1234 0100 0001 0000 0000 0000 c00c'));
      if (bad.ok) expect.fail('expected an error');
      expect(bad.error).to.include({ code: 'FORMERR', problem: 'forward-pointer', id: 0x1234 });
      const none = peekQuestion(hex('1234 0100 0000 0000 0000 0000'));
      expect(none.ok && none.peek.question).to.equal(undefined);
    });
  });

  describe('firstQuestionType (counted for every query)', () => {
    it('agrees with the full decoder on every encodable message (property)', () => {
      fc.assert(
        fc.property(messageArb, (m) => {
          const bytes = encodeMessage(m, { compress: true }).bytes;
          expect(firstQuestionType(bytes)).to.equal(m.questions[0]?.type);
        }),
      );
    });

    it('gives undefined for no question, a compressed or cut name, and a short message', () => {
      expect(firstQuestionType(hex('1234 0100 0000 0000 0000 0000'))).to.equal(undefined);
      expect(firstQuestionType(hex('1234 0100 0001 0000 0000 0000 c00c 0001 0001'))).to.equal(undefined);
      expect(firstQuestionType(hex('1234 0100 0001 0000 0000 0000 0377 7777 00 00'))).to.equal(undefined);
      expect(firstQuestionType(hex('1234'))).to.equal(undefined);
      expect(firstQuestionType(hex('1234 0100 0001 0000 0000 0000 0377 7777 00 001c 0001'))).to.equal(28);
    });
  });
});
