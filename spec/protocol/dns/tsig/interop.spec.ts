import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { TSIG_ALGORITHMS, type TsigAlgorithm } from '../../../../protocol/dns/tsig/algorithm.js';
import { makeKeyring, makeTsigKey, type TsigKey } from '../../../../protocol/dns/tsig/key.js';
import { signAnswer, signRequest } from '../../../../protocol/dns/tsig/sign.js';
import { TsigStreamSigner, TsigStreamVerifier } from '../../../../protocol/dns/tsig/stream.js';
import { verifyRequest } from '../../../../protocol/dns/tsig/verify.js';
import { RCODE, RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { decodeMessage, encodeMessage, type Message } from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import {
  dnspythonAvailable,
  hex,
  type KeyJson,
  type PythonOp,
  type PythonResult,
  runDnspython,
  unhex,
} from './dnspython.js';

/**
 * Interoperability with dnspython, for every algorithm: dnspython signs requests and
 * streams that we verify, and verifies the answers, streams and requests we sign. The
 * clock is the real one (dnspython's checks read it), passed to our code as `nowSeconds`.
 */
const now = (): number => Math.floor(Date.now() / 1000);

function keyFor(algorithm: TsigAlgorithm): TsigKey {
  const secret = createHash('sha512').update(algorithm).digest().subarray(0, 32);
  return makeTsigKey(
    Name.parse(`${algorithm.split('.')[0]}.key.example.`),
    new Uint8Array(secret),
    algorithm,
  );
}

function keyJson(key: TsigKey): KeyJson {
  return {
    keyName: key.name.toString(),
    algorithm: `${key.algorithm}.`,
    secret: Buffer.from(key.secret).toString('base64'),
  };
}

function decoded(bytes: Uint8Array): Message {
  const result = decodeMessage(bytes);
  if (!result.ok) expect.fail(result.error.message);
  return result.message;
}

/** An unsigned answer to `request`, with `rcode` and `n` TXT records. */
function answerTo(request: Uint8Array, rcode: number, text: string): Uint8Array {
  const q = decoded(request);
  const message: Message = {
    id: q.id,
    flags: { ...q.flags, qr: true, aa: rcode === RCODE.NOERROR, rcode },
    questions: q.questions,
    answers:
      rcode === RCODE.NOERROR
        ? [
            {
              name: q.questions[0]?.name ?? Name.ROOT,
              type: RR_TYPE.TXT,
              class: RR_CLASS.IN,
              ttl: 300,
              rdata: { kind: 'TXT', strings: [new TextEncoder().encode(text)] },
            },
          ]
        : [],
    authorities: [],
    additionals: [],
  };
  return encodeMessage(message, { compress: true }).bytes;
}

function ok(result: PythonResult | undefined, what: string): PythonResult {
  expect(result, what).to.not.equal(undefined);
  expect(result?.error, what).to.equal(undefined);
  expect(result?.ok, what).to.equal(true);
  return result as PythonResult;
}

describe('protocol/dns/tsig: interoperability with dnspython (RFC 8945)', function () {
  this.timeout(120_000);
  before(function () {
    if (!dnspythonAvailable()) {
      console.log('    skipped: /usr/bin/python3 with dnspython (python3-dns) is not installed');
      this.skip();
    }
  });

  it('every algorithm: their requests and streams verify here; our answers, streams and requests verify there', () => {
    const keys = TSIG_ALGORITHMS.map(keyFor);
    const first: PythonOp[] = keys.flatMap((key, i): PythonOp[] => [
      { ...keyJson(key), op: 'sign-query', qname: 'www.example.', id: 0x1000 + i },
      { ...keyJson(key), op: 'sign-stream', qname: 'zone.example.', id: 0x2000 + i, count: 3 },
    ]);
    const made = runDnspython(first);
    const second: PythonOp[] = [];
    keys.forEach((key, i) => {
      const keyring = makeKeyring([key]);
      const query = ok(made[2 * i], `${key.algorithm} sign-query`);
      const request = unhex(query.wire as string);

      // Their request verifies here, and the MAC we read is theirs.
      const verified = verifyRequest(request, keyring, now());
      if (verified.kind !== 'verified') expect.fail(`${key.algorithm}: ${JSON.stringify(verified)}`);
      expect(hex(verified.request.rdata.mac)).to.equal(query.mac);

      // Our answer, a three-message stream, and BADTIME/BADKEY answers, for them to check.
      const answer = signAnswer(answerTo(request, RCODE.NOERROR, 'signed'), verified, now());
      const signer = new TsigStreamSigner(key, verified.request.rdata.mac);
      const stream = [0, 1, 2].map((n) => signer.sign(answerTo(request, RCODE.NOERROR, `part ${n}`), now()));
      const ourRequest = signRequest(
        answerTo(request, RCODE.NOERROR, 'x').map((b, at) => (at === 2 ? b & 0x7f : b)),
        key,
        now(),
      );
      second.push(
        { ...keyJson(key), op: 'verify-responses', request: query.wire as string, wires: [hex(answer)] },
        { ...keyJson(key), op: 'verify-responses', request: query.wire as string, wires: stream.map(hex) },
        { ...keyJson(key), op: 'verify-query', wire: hex(ourRequest.bytes) },
      );

      // Their stream verifies here, message by message.
      const theirs = ok(made[2 * i + 1], `${key.algorithm} sign-stream`);
      const theirRequest = verifyRequest(unhex(theirs.request as string), keyring, now());
      expect(theirRequest.kind).to.equal('verified');
      const verifier = new TsigStreamVerifier(key, unhex(theirs.mac as string));
      for (const wire of theirs.wires ?? [])
        expect(verifier.verify(unhex(wire), now()).kind).to.equal('verified');
      expect(theirs.wires).to.have.length(3);
    });
    const checked = runDnspython(second);
    expect(checked).to.have.length(second.length);
    checked.forEach((result, i) => {
      ok(result, `${second[i]?.op} for ${second[i]?.algorithm}`);
    });
  });

  it('error answers: dnspython reads BADKEY, BADSIG and BADTIME from our TSIG', () => {
    const key = keyFor('hmac-sha256');
    const [query] = runDnspython([{ ...keyJson(key), op: 'sign-query', qname: 'www.example.', id: 7 }]);
    const request = unhex(ok(query, 'sign-query').wire as string);
    const notAuth = answerTo(request, RCODE.NOTAUTH, '');
    const badKey = verifyRequest(request, makeKeyring([]), now());
    const badTime = verifyRequest(request, makeKeyring([key]), now() + 301);
    const tampered = request.slice();
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] as number) ^ 1;
    const badSig = verifyRequest(tampered, makeKeyring([key]), now());
    expect([badKey, badTime, badSig].map((v) => (v.kind === 'rejected' ? v.error : v.kind))).to.deep.equal([
      'BADKEY',
      'BADTIME',
      'BADSIG',
    ]);
    const wires = [badKey, badTime, badSig].map((v) => hex(signAnswer(notAuth, v, now())));
    const results = runDnspython(
      wires.map((wire) => ({
        ...keyJson(key),
        op: 'verify-responses',
        request: hex(request),
        wires: [wire],
      })),
    );
    expect(results.map((r) => r.error?.split(':')[0])).to.deep.equal([
      'PeerBadKey',
      'PeerBadTime',
      'PeerBadSignature',
    ]);
  });
});
