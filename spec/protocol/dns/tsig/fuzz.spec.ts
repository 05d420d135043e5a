import { expect } from 'chai';
import fc from 'fast-check';
import { minimumMacOctets, TSIG_ALGORITHMS } from '../../../../protocol/dns/tsig/algorithm.js';
import { makeKeyring } from '../../../../protocol/dns/tsig/key.js';
import { signAnswer, signRequest } from '../../../../protocol/dns/tsig/sign.js';
import { TsigStreamVerifier } from '../../../../protocol/dns/tsig/stream.js';
import { verifyRequest, verifyResponse } from '../../../../protocol/dns/tsig/verify.js';
import { A_RECORD, query, testKey } from './helpers.js';

/**
 * Untrusted bytes: verification returns one of its typed outcomes for anything, random or
 * a signed message with bytes changed, removed or added, and never throws. A mutated
 * message that still verifies must differ only where the MAC does not reach: the header
 * id (Original ID stands in for it) and the case of the key and algorithm names.
 */
const NOW = 1_700_000_000;
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const keys = TSIG_ALGORITHMS.map((algorithm) => testKey(algorithm));
const ring = makeKeyring([testKey('hmac-sha256')]);
const samples = keys.flatMap((key) => [
  signRequest(query(), key, NOW).bytes,
  signRequest(query({ edns: true, answers: [A_RECORD] }), key, NOW, {
    macOctets: minimumMacOctets(key.algorithm),
  }).bytes,
]);

const mutation = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(
  bytes: Uint8Array,
  mutations: readonly { op: string; at: number; value?: number }[],
): Uint8Array {
  let out = bytes.slice();
  for (const m of mutations) {
    const at = m.at % (out.length + 1);
    if (m.op === 'set' && at < out.length) out[at] = m.value as number;
    else if (m.op === 'cut') out = Uint8Array.of(...out.subarray(0, at), ...out.subarray(at + 1));
    else if (m.op === 'insert')
      out = Uint8Array.of(...out.subarray(0, at), m.value as number, ...out.subarray(at));
  }
  return out;
}

const KINDS = ['unsigned', 'formerr', 'verified', 'rejected'];

function exercise(bytes: Uint8Array): string {
  const verification = verifyRequest(bytes, ring, NOW);
  expect(KINDS).to.include(verification.kind);
  // Answering whatever came in must not throw either.
  const answer = signAnswer(query(), verification, NOW);
  expect(answer.length).to.be.greaterThan(11);
  const response = verifyResponse(bytes, keys[0] as never, new Uint8Array(32), NOW);
  expect(['unsigned', 'formerr', 'verified', 'rejected']).to.include(response.kind);
  new TsigStreamVerifier(keys[0] as never, new Uint8Array(16)).verify(bytes, NOW);
  return verification.kind;
}

describe('protocol/dns/tsig: fuzzing verification', () => {
  before(() => console.log(`    TSIG fuzz seed ${seed} (FUZZ_SEED=${seed} replays)`));

  it('random bytes give a typed outcome', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        exercise(bytes);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('mutated signed messages give a typed outcome, and a changed byte other than the id never verifies', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: samples.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (i, ms) => {
          const original = samples[i] as Uint8Array;
          const mutated = mutate(original, ms);
          const kind = exercise(mutated);
          // Key and algorithm names are compared case-insensitively, so their case is not signed.
          const fold = (b: number) => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b);
          const sameButId =
            mutated.length === original.length &&
            mutated.subarray(2).every((b, at) => fold(b) === fold(original[at + 2] as number));
          if (kind === 'verified')
            expect(sameButId, 'only an unchanged message (or id) verifies').to.equal(true);
        },
      ),
      { seed, numRuns: 3000 },
    );
  });
});
