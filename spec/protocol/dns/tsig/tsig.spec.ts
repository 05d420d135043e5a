import { expect } from 'chai';
import {
  algorithmWireName,
  fullMacOctets,
  minimumMacOctets,
  TSIG_ALGORITHMS,
} from '../../../../protocol/dns/tsig/algorithm.js';
import { makeKeyring } from '../../../../protocol/dns/tsig/key.js';
import { locateTsig } from '../../../../protocol/dns/tsig/locate.js';
import { decodeTsigRdata, encodeTsigRdata, type TsigRdata } from '../../../../protocol/dns/tsig/record.js';
import {
  appendTsigRecord,
  signAnswer,
  signMessage,
  signRequest,
} from '../../../../protocol/dns/tsig/sign.js';
import { TsigStreamSigner, TsigStreamVerifier } from '../../../../protocol/dns/tsig/stream.js';
import { verifyRequest, verifyResponse } from '../../../../protocol/dns/tsig/verify.js';
import { RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { A_RECORD, query, testKey } from './helpers.js';

const NOW = 1_700_000_000;

function rdata(overrides: Partial<TsigRdata> = {}): TsigRdata {
  return {
    algorithm: algorithmWireName('hmac-sha256'),
    timeSigned: NOW,
    fudge: 300,
    mac: new Uint8Array(32).fill(7),
    originalId: 0x4242,
    error: 0,
    other: new Uint8Array(0),
    ...overrides,
  };
}

function kindOf(v: ReturnType<typeof verifyRequest>): string {
  return v.kind === 'rejected' ? v.error : v.kind === 'formerr' ? `FORMERR ${v.error.problem}` : v.kind;
}

describe('protocol/dns/tsig: the TSIG record (RFC 8945 §4.2)', () => {
  it('round-trips every field, a 48-bit time included', () => {
    for (const value of [
      rdata(),
      rdata({ timeSigned: 2 ** 48 - 1, fudge: 0xffff, error: 18, other: Uint8Array.of(0, 1, 2, 3, 4, 5) }),
      rdata({ timeSigned: 2 ** 40 + 12345, mac: new Uint8Array(0) }),
    ]) {
      const decoded = decodeTsigRdata(encodeTsigRdata(value));
      if (!decoded.ok) expect.fail(decoded.reason);
      expect(decoded.rdata.algorithm.equals(value.algorithm)).to.equal(true);
      expect({ ...decoded.rdata, algorithm: '' }).to.deep.equal({ ...value, algorithm: '' });
    }
  });

  it('rejects RDATA that does not add up, and out-of-range fields on encode', () => {
    const bytes = encodeTsigRdata(rdata());
    expect(decodeTsigRdata(bytes.subarray(0, bytes.length - 1)).ok).to.equal(false);
    expect(decodeTsigRdata(Uint8Array.of(...bytes, 0)).ok).to.equal(false);
    expect(decodeTsigRdata(Uint8Array.of(0xc0, 12)).ok).to.equal(false);
    expect(() => encodeTsigRdata(rdata({ timeSigned: 2 ** 48 }))).to.throw(RangeError);
  });
});

describe('protocol/dns/tsig: signing and verifying (RFC 8945 §4.3, §5)', () => {
  it('verifying a Buffer (a datagram as a socket delivers it) leaves it as received', () => {
    const key = testKey();
    const signed = signRequest(query({ id: 0x1111, edns: true }), key, 1_000).bytes;
    // A pooled Buffer: its slices are views, so a verifier that edits a "copy" edits it.
    const pool = Buffer.alloc(signed.length + 64);
    const received = pool.subarray(32, 32 + signed.length);
    received.set(signed);
    received[0] = 0x22; // a forwarder changed the id: the MAC covers the original one
    const before = Buffer.from(received);
    expect(verifyRequest(received, makeKeyring([key]), 1_000).kind).to.equal('verified');
    expect(Buffer.from(received).equals(before)).to.equal(true);
  });
  it('every algorithm: a signed request verifies, and the answer verifies against its MAC', () => {
    for (const algorithm of TSIG_ALGORITHMS) {
      const key = testKey(algorithm);
      const signed = signRequest(query(), key, NOW);
      expect(signed.mac).to.have.length(fullMacOctets(algorithm));
      const verified = verifyRequest(signed.bytes, makeKeyring([key]), NOW + 10);
      if (verified.kind !== 'verified') expect.fail(`${algorithm}: ${kindOf(verified)}`);
      const answer = signAnswer(query({ id: 0x4242 }), verified, NOW + 11);
      const check = verifyResponse(answer, key, signed.mac, NOW + 12);
      expect(check.kind, algorithm).to.equal('verified');
      expect(verifyResponse(answer, key, new Uint8Array(32), NOW + 12)).to.deep.include({ error: 'BADSIG' });
    }
  });

  it('verifies with the Original ID after a forwarder changed the header id (§4.3.2)', () => {
    const key = testKey();
    const signed = signRequest(query({ id: 1 }), key, NOW).bytes;
    signed[0] = 0x99;
    expect(kindOf(verifyRequest(signed, makeKeyring([key]), NOW))).to.equal('verified');
  });

  it('BADKEY for an unknown key, another algorithm, or an algorithm we lack (§5.2.1)', () => {
    const key = testKey('hmac-sha256');
    const signed = signRequest(query(), key, NOW).bytes;
    expect(kindOf(verifyRequest(signed, makeKeyring([]), NOW))).to.equal('BADKEY');
    expect(kindOf(verifyRequest(signed, makeKeyring([testKey('hmac-sha512')]), NOW))).to.equal('BADKEY');
    const unknown = appendTsigRecord(query(), {
      keyName: key.name,
      rdata: rdata({ algorithm: Name.parse('gss-tsig.') }),
    });
    expect(kindOf(verifyRequest(unknown, makeKeyring([key]), NOW))).to.equal('BADKEY');
  });

  it('BADSIG for a changed message or MAC, BADTIME outside the fudge (§5.2.2, §5.2.3)', () => {
    const key = testKey();
    const ring = makeKeyring([key]);
    const signed = signRequest(query(), key, NOW).bytes;
    const flipped = signed.slice();
    flipped[3] = (flipped[3] as number) ^ 0x10;
    expect(kindOf(verifyRequest(flipped, ring, NOW))).to.equal('BADSIG');
    expect(kindOf(verifyRequest(signed, ring, NOW + 300))).to.equal('verified');
    expect(kindOf(verifyRequest(signed, ring, NOW - 300))).to.equal('verified');
    expect(kindOf(verifyRequest(signed, ring, NOW + 301))).to.equal('BADTIME');
    expect(kindOf(verifyRequest(signed, ring, NOW - 301))).to.equal('BADTIME');
    // MAC before time: a bad signature outside the window is BADSIG.
    expect(kindOf(verifyRequest(flipped, ring, NOW + 1000))).to.equal('BADSIG');
  });

  it('truncated MACs (§5.2.2.1): the minimum verifies, shorter or longer is FORMERR, policy gives BADTRUNC', () => {
    for (const algorithm of TSIG_ALGORITHMS) {
      const key = testKey(algorithm);
      const ring = makeKeyring([key]);
      const minimum = minimumMacOctets(algorithm);
      expect(minimum).to.equal(Math.max(10, fullMacOctets(algorithm) / 2));
      const truncated = signRequest(query(), key, NOW, { macOctets: minimum });
      expect(truncated.mac).to.have.length(minimum);
      const verified = verifyRequest(truncated.bytes, ring, NOW);
      expect(kindOf(verified), algorithm).to.equal('verified');
      expect(() => signRequest(query(), key, NOW, { macOctets: minimum - 1 })).to.throw(RangeError);
      const full = fullMacOctets(algorithm);
      expect(kindOf(verifyRequest(truncated.bytes, ring, NOW, { macOctetsMin: () => full }))).to.equal(
        'BADTRUNC',
      );
      for (const size of [minimum - 1, full + 1, 0]) {
        const bad = appendTsigRecord(query(), {
          keyName: key.name,
          rdata: rdata({ algorithm: algorithmWireName(algorithm), mac: new Uint8Array(size) }),
        });
        expect(kindOf(verifyRequest(bad, ring, NOW)), `${algorithm} ${size}`).to.equal(
          'FORMERR bad-mac-size',
        );
      }
      // The answer to a truncated request covers the truncated request MAC.
      if (verified.kind !== 'verified') expect.fail('verified');
      const answer = signAnswer(query(), verified, NOW);
      expect(verifyResponse(answer, key, truncated.mac, NOW).kind).to.equal('verified');
    }
  });

  it('error answers (§5.3.2): BADKEY/BADSIG unsigned, BADTIME signed with the server time, BADTRUNC signed', () => {
    const key = testKey();
    const ring = makeKeyring([key]);
    const signed = signRequest(query(), key, NOW, { macOctets: 16 });
    const tsigOf = (bytes: Uint8Array) => {
      const located = locateTsig(bytes);
      if (located.kind !== 'signed') expect.fail(located.kind);
      return located.record.rdata;
    };
    const badKey = signAnswer(query(), verifyRequest(signed.bytes, makeKeyring([]), NOW), NOW);
    expect(tsigOf(badKey)).to.deep.include({ error: 17, timeSigned: NOW, fudge: 300 });
    expect(tsigOf(badKey).mac).to.have.length(0);
    expect(verifyResponse(badKey, key, signed.mac, NOW)).to.deep.include({ error: 'BADKEY', byPeer: true });

    const badTime = signAnswer(query(), verifyRequest(signed.bytes, ring, NOW + 1000), NOW + 1000);
    expect(tsigOf(badTime)).to.deep.include({ error: 18, timeSigned: NOW });
    expect([...tsigOf(badTime).other]).to.deep.equal([
      0,
      0,
      ...new Uint8Array(Buffer.from((NOW + 1000).toString(16).padStart(8, '0'), 'hex')),
    ]);
    expect(tsigOf(badTime).mac).to.have.length(32);

    const badTrunc = signAnswer(
      query(),
      verifyRequest(signed.bytes, ring, NOW, { macOctetsMin: () => 32 }),
      NOW,
    );
    expect(tsigOf(badTrunc)).to.deep.include({ error: 22, timeSigned: NOW });
    expect(tsigOf(badTrunc).mac).to.have.length(32);
  });

  it('a TSIG that is not the last additional record, or a second one, is FORMERR (§5.2)', () => {
    const key = testKey();
    const ring = makeKeyring([key]);
    const signed = signRequest(query(), key, NOW).bytes;
    const tsigRecord = (() => {
      const located = locateTsig(signed);
      if (located.kind !== 'signed') expect.fail(located.kind);
      return located.message.additionals[0];
    })();
    if (tsigRecord === undefined) expect.fail('tsig');
    // A record after the TSIG: re-encode with the TSIG first.
    expect(kindOf(verifyRequest(query({ additionals: [tsigRecord, A_RECORD] }), ring, NOW))).to.equal(
      'FORMERR misplaced',
    );
    expect(kindOf(verifyRequest(query({ additionals: [tsigRecord, tsigRecord] }), ring, NOW))).to.equal(
      'FORMERR misplaced',
    );
    expect(kindOf(verifyRequest(query({ answers: [tsigRecord] }), ring, NOW))).to.equal('FORMERR misplaced');
    // The codec writes OPT last, so a TSIG in `additionals` with EDNS is followed by OPT.
    expect(kindOf(verifyRequest(query({ additionals: [tsigRecord], edns: true }), ring, NOW))).to.equal(
      'FORMERR misplaced',
    );
    const inClass = query({ additionals: [{ ...tsigRecord, class: RR_CLASS.IN }] });
    expect(kindOf(verifyRequest(inClass, ring, NOW))).to.equal('FORMERR bad-class');
    const withTtl = query({ additionals: [{ ...tsigRecord, ttl: 1 }] });
    expect(kindOf(verifyRequest(withTtl, ring, NOW))).to.equal('FORMERR bad-ttl');
    const badRdata = query({
      additionals: [{ ...tsigRecord, rdata: { kind: 'opaque', bytes: Uint8Array.of(1, 2, 3) } }],
    });
    expect(kindOf(verifyRequest(badRdata, ring, NOW))).to.equal('FORMERR bad-rdata');
    expect(kindOf(verifyRequest(query(), ring, NOW))).to.equal('unsigned');
    // With EDNS in front (OPT, then TSIG appended) the TSIG is last and verifies.
    expect(kindOf(verifyRequest(signRequest(query({ edns: true }), key, NOW).bytes, ring, NOW))).to.equal(
      'verified',
    );
    expect(tsigRecord.type).to.equal(RR_TYPE.TSIG);
  });

  it('streams (§5.3.1): every message chains the prior MAC; a dropped or reordered message fails', () => {
    const key = testKey('hmac-sha512');
    const request = signRequest(query(), key, NOW);
    const signer = new TsigStreamSigner(key, request.mac);
    const messages = [0, 1, 2, 3].map((i) =>
      signer.sign(query({ id: 0x4242, answers: [A_RECORD].slice(0, i % 2) }), NOW + i),
    );
    const inOrder = new TsigStreamVerifier(key, request.mac);
    expect(messages.map((m, i) => inOrder.verify(m, NOW + i).kind)).to.deep.equal(Array(4).fill('verified'));
    const skipping = new TsigStreamVerifier(key, request.mac);
    expect(skipping.verify(messages[0] as Uint8Array, NOW).kind).to.equal('verified');
    expect(skipping.verify(messages[2] as Uint8Array, NOW).kind).to.equal('rejected');
    expect(skipping.verify(messages[3] as Uint8Array, NOW).kind).to.equal('rejected');
    // A later message is signed with the timers only: verifying it as a first message fails.
    expect(verifyResponse(messages[1] as Uint8Array, key, messages[0] as Uint8Array, NOW).kind).to.equal(
      'rejected',
    );
  });

  it('signMessage refuses a MAC length §5.2.2.1 forbids', () => {
    expect(() =>
      signMessage(query(), { key: testKey('hmac-sha1'), timeSigned: NOW, macOctets: 21 }),
    ).to.throw(RangeError);
  });
});
